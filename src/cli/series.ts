import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError } from '../engine/validation';
import { datasetNamed } from '../tasks/forecast/datasets';
import { sourceField, type SeriesSource } from '../tasks/forecast/task';

/** The folder of vega-datasets' files (the package exports only its loader, so it is found by its entry). */
export function datasetFolder(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('vega-datasets')), '..', 'data');
}

/**
 * The command line's series: `csv` is a path (relative to `base`, the run config's folder when
 * there is one, else the working directory); `dataset` is a file of the vega-datasets package.
 */
export function fileSeries(base = process.cwd()): SeriesSource {
  return (task) => {
    const field = sourceField(task);
    const file = task.csv !== undefined ? path.resolve(base, task.csv) : path.join(datasetFolder(), datasetNamed(task.dataset!)!.file);
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError([{ path: field, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
    }
  };
}
