import { ConfigError, type FieldIssue } from '../../engine/validation';
import { isNumericColumn, parseCsv, readCell, rowNumber, type CsvTable } from './csv';
import { sourceField, type ForecastTaskConfig } from './task';

/*
 * A forecast task's series, ready for windows (reference README, "Tasks", forecast): rows in
 * file order; of n rows the first floor(0.7·n) train, those up to floor(0.8·n) validate, the
 * rest test; every column standardised with the mean and population standard deviation of the
 * training rows (in float64, then stored as float32); a window is L input rows and the H rows
 * after them, at every offset whose H target rows lie inside one split (its inputs may reach
 * back into the split before).
 */

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export interface ForecastData {
  /** The chosen columns, in the order of the model's variates. */
  columns: string[];
  lookback: number;
  horizon: number;
  /** Rows of the series. */
  rows: number;
  /** [rows, N] row-major, standardised with the training rows' statistics. */
  values: Float32Array;
  /** Per column: the training rows' mean and population standard deviation (float64). */
  mean: number[];
  std: number[];
  /** Each split's rows, [start, end). */
  bounds: Record<Split, [number, number]>;
  /** Each split's windows, by the row their targets start at (inputs are the L rows before it). */
  windows: Record<Split, Int32Array>;
}

/** Rows [start, end) of each split for a series of n rows. */
export function splitBounds(n: number): Record<Split, [number, number]> {
  const a = Math.floor(0.7 * n);
  const b = Math.floor(0.8 * n);
  return { train: [0, a], val: [a, b], test: [b, n] };
}

/** The rows where a split's windows' targets start: every t in [max(start, L), end − H]. */
export function windowStarts([start, end]: [number, number], lookback: number, horizon: number): Int32Array {
  const first = Math.max(start, lookback);
  const count = Math.max(0, end - horizon - first + 1);
  return Int32Array.from({ length: count }, (_, i) => first + i);
}

/** The columns a config chooses (all numeric ones when it names none), as indices into the header. */
function chooseColumns(table: CsvTable, task: ForecastTaskConfig, prefix: string): number[] {
  if (task.columns === undefined) {
    const numeric = table.header.map((_, c) => c).filter((c) => isNumericColumn(table, c));
    if (numeric.length === 0) {
      throw new ConfigError([{ path: sourceField(task, prefix), message: `no column holds numbers (columns: ${table.header.map((h) => JSON.stringify(h)).join(', ')})` }]);
    }
    return numeric;
  }
  const issues: FieldIssue[] = [];
  const chosen = task.columns.map((name, i) => {
    const c = table.header.indexOf(name);
    if (c < 0) issues.push({ path: `${prefix}.columns.${i}`, message: `the CSV has no column ${JSON.stringify(name)} (its columns: ${table.header.map((h) => JSON.stringify(h)).join(', ')})` });
    return c;
  });
  if (issues.length) throw new ConfigError(issues);
  return chosen;
}

/**
 * The chosen columns' values, [rows, N] row-major. Every cell must be a finite number: a
 * missing or non-finite value is refused with its row and column, never filled in.
 */
function readValues(table: CsvTable, chosen: number[], field: string): Float64Array {
  const n = chosen.length;
  const out = new Float64Array(table.rows.length * n);
  chosen.forEach((c, j) => {
    const name = JSON.stringify(table.header[c]);
    const numeric = isNumericColumn(table, c);
    table.rows.forEach((row, i) => {
      const text = row[c]!;
      const cell = readCell(text);
      const where = `row ${rowNumber(i)}, column ${name}`;
      if (cell.kind === 'number') out[i * n + j] = cell.value;
      else if (cell.kind === 'missing') throw new ConfigError([{ path: field, message: `${where}: the value is missing (${JSON.stringify(text)}); fill or drop the row, the lab fills nothing in` }]);
      else if (cell.kind === 'infinite') throw new ConfigError([{ path: field, message: `${where}: ${JSON.stringify(text)} is not a finite number` }]);
      else if (!numeric) throw new ConfigError([{ path: field, message: `column ${name} is not numeric: ${where} holds ${JSON.stringify(text)}` }]);
      else throw new ConfigError([{ path: field, message: `${where}: ${JSON.stringify(text)} is not a number` }]);
    });
  });
  return out;
}

/** The mean and population standard deviation of each column over rows [0, end). */
export function columnStatistics(values: Float64Array, n: number, end: number): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i < end; i++) sum += values[i * n + j]!;
    const m = sum / end;
    let sq = 0;
    for (let i = 0; i < end; i++) sq += (values[i * n + j]! - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(sq / end));
  }
  return { mean, std };
}

/**
 * Parses, checks and windows a task's series. `text` is the CSV; `prefix` names the task in
 * messages. Every refusal is a ConfigError naming the field, row or column.
 */
export function prepareForecastData(task: ForecastTaskConfig, text: string, prefix = 'task'): ForecastData {
  const field = sourceField(task, prefix);
  const table = parseCsv(text, field);
  const chosen = chooseColumns(table, task, prefix);
  const columns = chosen.map((c) => table.header[c]!);
  const raw = readValues(table, chosen, field);
  const rows = table.rows.length;
  const n = columns.length;
  const { lookback: L, horizon: H } = task;
  const bounds = splitBounds(rows);
  const windows = { train: windowStarts(bounds.train, L, H), val: windowStarts(bounds.val, L, H), test: windowStarts(bounds.test, L, H) };
  const short = SPLITS.filter((s) => windows[s].length === 0);
  if (short.length > 0) {
    const sizes = SPLITS.map((s) => `${s} rows ${bounds[s][0] + 1}–${bounds[s][1]}`).join(', ');
    throw new ConfigError([{
      path: `${prefix}.lookback`,
      message: `${rows} rows are too few for one window of lookback ${L} + horizon ${H} in each split (${sizes}; none fits in ${short.join(', ')}): shorten the lookback or the horizon, or use a longer series`,
    }]);
  }
  const { mean, std } = columnStatistics(raw, n, bounds.train[1]);
  const constant = std.map((s, j) => (s === 0 ? j : -1)).filter((j) => j >= 0);
  if (constant.length > 0) {
    throw new ConfigError(constant.map((j) => ({
      path: field,
      message: `column ${JSON.stringify(columns[j])} is constant over the ${bounds.train[1]} training rows (every value is ${raw[j]}): it cannot be standardised; leave it out of task.columns`,
    })));
  }
  const values = new Float32Array(rows * n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) values[i * n + j] = (raw[i * n + j]! - mean[j]!) / std[j]!;
  return { columns, lookback: L, horizon: H, rows, values, mean, std, bounds, windows };
}

/** Window `t`'s inputs [L, N] and targets [H, N], as views into `data.values`. */
export function windowAt(data: ForecastData, t: number): { x: Float32Array; y: Float32Array } {
  const n = data.columns.length;
  return { x: data.values.subarray((t - data.lookback) * n, t * n), y: data.values.subarray(t * n, (t + data.horizon) * n) };
}
