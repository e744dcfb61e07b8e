import { ConfigError, type FieldIssue } from '../validation';
import { prepareForecastData, type ForecastData } from '../../tasks/forecast/series';
import { parseForecastTaskConfig, type ForecastTaskConfig, type SeriesSource } from '../../tasks/forecast/task';
import { parseForecasterConfig, type ForecasterConfig } from './config';

/** A forecast task as a parsed run holds it: `columns` names the variates in the model's order. */
export type NormalisedForecastTask = ForecastTaskConfig & { columns: string[] };

/**
 * The model and task parts of a forecast run: the task's series is read (through `series`) and
 * checked, its columns set the model's `nVariates`, and lookback and horizon must agree between
 * the two (either may leave them to the other). Collects issues rather than throwing, so the
 * caller reports every problem at once.
 */
export function parseForecastParts(
  rawModel: unknown,
  rawTask: unknown,
  series: SeriesSource,
  issues: FieldIssue[],
): { model: ForecasterConfig; task: NormalisedForecastTask; data: ForecastData } | undefined {
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      issues.push(...e.issues);
      return undefined;
    }
  };
  const model = rawModel !== null && typeof rawModel === 'object' && !Array.isArray(rawModel) ? (rawModel as Record<string, unknown>) : {};
  const rawTaskObject = rawTask !== null && typeof rawTask === 'object' && !Array.isArray(rawTask) ? (rawTask as Record<string, unknown>) : {};
  // The model's lookback and horizon stand in for the task's when the task leaves them out.
  const taskInput = { ...(typeof model.lookback === 'number' ? { lookback: model.lookback } : {}), ...(typeof model.horizon === 'number' ? { horizon: model.horizon } : {}), ...rawTaskObject };
  const task = attempt(() => parseForecastTaskConfig(rawTask === undefined ? rawTask : taskInput));
  const data = task && attempt(() => prepareForecastData(task, series(task)));
  const shape = data ? { lookback: data.lookback, horizon: data.horizon, nVariates: data.columns.length } : { lookback: 1, horizon: 1, nVariates: 1 };
  const parsed = attempt(() => parseForecasterConfig(rawModel, { shape }));
  if (!task || !data || !parsed) return undefined;
  const fit: FieldIssue[] = [];
  for (const key of ['lookback', 'horizon'] as const) {
    if (parsed[key] !== task[key]) fit.push({ path: `model.${key}`, message: `${parsed[key]} differs from task.${key} ${task[key]}` });
  }
  if (parsed.nVariates !== data.columns.length) {
    fit.push({ path: 'model.nVariates', message: `${parsed.nVariates} differs from the ${data.columns.length} columns the task reads (${data.columns.map((c) => JSON.stringify(c)).join(', ')})` });
  }
  issues.push(...fit);
  if (fit.length > 0) return undefined;
  return { model: parsed, task: { ...task, columns: data.columns }, data };
}
