/**
 * The series the worker can read: CSV files the page dropped (by name) and the shipped series,
 * bundled as text (src/tasks/forecast/datasets.ts names them, vega-datasets holds them).
 */
import co2 from 'vega-datasets/data/co2-concentration.csv?raw';
import seattle from 'vega-datasets/data/seattle-weather.csv?raw';
import { ConfigError } from '../engine/validation';
import { sourceField, type SeriesSource } from '../tasks/forecast/task';

const SHIPPED: Readonly<Record<string, string>> = { 'seattle-weather': seattle, 'co2-concentration': co2 };


/** `csv` names a file the page dropped (its text in `files`); `dataset` a shipped series. */
export function pageSeries(files: ReadonlyMap<string, string>): SeriesSource {
  return (task) => {
    const text = task.csv !== undefined ? files.get(task.csv) : SHIPPED[task.dataset!];
    if (text === undefined) {
      const why = task.csv !== undefined ? `the page has no file ${JSON.stringify(task.csv)}: drop the CSV on the page again` : `no shipped series ${JSON.stringify(task.dataset)}`;
      throw new ConfigError([{ path: sourceField(task), message: why }]);
    }
    return text;
  };
}
