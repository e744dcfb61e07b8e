/*
 * The series the lab ships: files of the `vega-datasets` npm package (a dependency, BSD-3-Clause
 * as a package; each file keeps its own source's terms, named here). Only names and metadata
 * live here: the page bundles the files' text and the command line reads them from the package
 * (src/worker/datasets.ts, src/cli/datasets.ts).
 */

export interface ShippedDataset {
  name: string;
  /** The file inside vega-datasets/data/. */
  file: string;
  description: string;
  /** One row is this much time. */
  step: string;
  source: string;
  license: string;
}

export const DATASETS: readonly ShippedDataset[] = [
  {
    name: 'seattle-weather',
    file: 'seattle-weather.csv',
    description: 'Daily weather in Seattle, 2012–2015: precipitation, highest and lowest temperature, wind (1,461 days).',
    step: 'day',
    source: 'NOAA National Climatic Data Center, via vega-datasets',
    license: 'U.S. Government work (public domain)',
  },
  {
    name: 'co2-concentration',
    file: 'co2-concentration.csv',
    description: 'Monthly CO2 concentration at Mauna Loa, 1958–2020, measured and seasonally adjusted (741 months).',
    step: 'month',
    source: 'Scripps CO2 Program (Scripps Institution of Oceanography), via vega-datasets',
    license: 'CC BY 4.0',
  },
];

export const DATASET_NAMES = DATASETS.map((d) => d.name) as [string, ...string[]];

export const datasetNamed = (name: string): ShippedDataset | undefined => DATASETS.find((d) => d.name === name);
