import { z } from 'zod';
import { ConfigError, parseWith } from '../../engine/validation';
import type { Knob } from '../types';
import { DATASET_NAMES } from './datasets';

/**
 * `{"name": "forecast", "csv": PATH | "dataset": NAME, "columns": [names], "lookback": L,
 * "horizon": H}` (reference README, "Tasks"). `columns` left out means every numeric column;
 * the normalised config names them.
 */
export interface ForecastTaskConfig {
  name: 'forecast';
  csv?: string;
  dataset?: string;
  columns?: string[];
  lookback: number;
  horizon: number;
}

/** The task's integer settings, for the page's fields and this schema alike. */
export const FORECAST_KNOBS: Knob[] = [
  { key: 'lookback', label: 'Lookback (rows)', help: 'Rows of history the model reads: each variate\'s window is one token.', default: 48, min: 1, max: 2048 },
  { key: 'horizon', label: 'Horizon (rows)', help: 'Rows the model forecasts after the lookback.', default: 7, min: 1, max: 1024 },
];

const knob = (key: string) => {
  const k = FORECAST_KNOBS.find((x) => x.key === key)!;
  return z.number().int().min(k.min).max(k.max).default(k.default);
};

const schema = z
  .object({
    name: z.literal('forecast'),
    csv: z.string().min(1).optional(),
    dataset: z.enum(DATASET_NAMES).optional(),
    columns: z.array(z.string().min(1)).min(1).optional(),
    lookback: knob('lookback'),
    horizon: knob('horizon'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.csv === undefined) === (c.dataset === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.csv === undefined ? 'csv' : 'dataset'], message: 'give exactly one of csv (a file) and dataset (a series the lab ships)' });
    }
    const seen = new Set<string>();
    c.columns?.forEach((name, i) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['columns', i], message: `the column ${JSON.stringify(name)} is chosen twice` });
      seen.add(name);
    });
  });

export function parseForecastTaskConfig(raw: unknown, prefix = 'task'): ForecastTaskConfig {
  return parseWith(schema, raw, prefix) as ForecastTaskConfig;
}

/** Where a config's series comes from, as its messages name it. */
export const sourceField = (task: Pick<ForecastTaskConfig, 'csv'>, prefix = 'task') => `${prefix}.${task.csv !== undefined ? 'csv' : 'dataset'}`;

/**
 * The CSV text of a task's series. The command line reads files and the package's data; the
 * page has the files dropped on it and the shipped series bundled. Throws a ConfigError naming
 * `task.csv` or `task.dataset` when it has no such text.
 */
export type SeriesSource = (task: Pick<ForecastTaskConfig, 'csv' | 'dataset'>) => string;

/** A source that knows no file: every lookup is refused with the reason. */
export const noSeries = (why: string): SeriesSource => (task) => {
  throw new ConfigError([{ path: sourceField(task), message: why }]);
};
