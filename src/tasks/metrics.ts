/*
 * What an evaluation line carries, per task: decided here once; the trainer fills these keys,
 * and the command line, the worker and the page read this list to print, chart and compare them.
 */

/** Every metric an evaluation line may carry besides `loss`. */
export type EvalMetricKey = 'exactMatch' | 'tokenAccuracy' | 'mse' | 'mae' | 'repeatLastMse' | 'repeatLastMae' | 'linearMse' | 'linearMae';

export interface EvalMetricSpec {
  key: EvalMetricKey;
  label: string;
  /** `percent`: a share in [0, 1] shown as a percentage. */
  format: 'percent' | 'number';
  better: 'higher' | 'lower';
}

const TOKEN_METRICS: readonly EvalMetricSpec[] = [
  { key: 'exactMatch', label: 'exact match', format: 'percent', better: 'higher' },
  { key: 'tokenAccuracy', label: 'token accuracy', format: 'percent', better: 'higher' },
];

const FORECAST_METRICS: readonly EvalMetricSpec[] = [
  { key: 'mse', label: 'MSE', format: 'number', better: 'lower' },
  { key: 'mae', label: 'MAE', format: 'number', better: 'lower' },
  { key: 'repeatLastMse', label: 'repeat-last MSE', format: 'number', better: 'lower' },
  { key: 'linearMse', label: 'linear MSE', format: 'number', better: 'lower' },
  { key: 'repeatLastMae', label: 'repeat-last MAE', format: 'number', better: 'lower' },
  { key: 'linearMae', label: 'linear MAE', format: 'number', better: 'lower' },
];

/** The metrics of a task's evaluation lines (besides `loss`), by the task's name. */
export const evalMetricsOf = (taskName: string): readonly EvalMetricSpec[] => (taskName === 'forecast' ? FORECAST_METRICS : TOKEN_METRICS);

/** The splits a task evaluates on: the validation split during training, and for forecasts the test split at the end. */
export const finalSplitsOf = (taskName: string): readonly ('val' | 'test')[] => (taskName === 'forecast' ? ['val', 'test'] : ['val']);
