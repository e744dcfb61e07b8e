/**
 * The summary table's rows: one per run, each column a number that may be missing, and which
 * value is the best of each column (lower or higher, as the column says).
 */
import { comparedMetrics, EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import type { ShelfRun } from '../lab/library';

export type ColumnKey = 'finalValLoss' | 'bestValLoss' | EvalMetricKey | 'peakMeasured' | 'peakPredicted' | 'tokensPerSec' | 'wallMs' | 'skipped';

export interface Column {
  key: ColumnKey;
  label: string;
  better: 'lower' | 'higher';
}

const LOSSES: readonly Column[] = [
  { key: 'finalValLoss', label: 'Final val loss', better: 'lower' },
  { key: 'bestValLoss', label: 'Best val loss', better: 'lower' },
];

const RUN_COLUMNS: readonly Column[] = [
  { key: 'peakMeasured', label: 'Peak memory', better: 'lower' },
  { key: 'peakPredicted', label: 'Predicted peak', better: 'lower' },
  { key: 'tokensPerSec', label: 'Tokens/s', better: 'higher' },
  { key: 'wallMs', label: 'Wall time', better: 'lower' },
  { key: 'skipped', label: 'Skipped steps', better: 'lower' },
];

const METRIC_KEYS = Object.keys(EVAL_METRICS) as EvalMetricKey[];

const metricColumn = (key: EvalMetricKey): Column => ({ key, label: EVAL_METRICS[key].title, better: EVAL_METRICS[key].better });

/** Every column a row has: the task metrics of every task among them. */
const COLUMNS: readonly Column[] = [...LOSSES, ...METRIC_KEYS.map(metricColumn), ...RUN_COLUMNS];

/**
 * The columns shown for these runs: the losses, the metrics comparisons show for their tasks
 * (tasks/metrics.ts: exact match, bits per character, a forecast's MAE), and the run's figures.
 */
export function columnsFor(runs: readonly Pick<ShelfRun, 'config'>[]): Column[] {
  return [...LOSSES, ...comparedMetrics(runs.map((r) => r.config.task.name)).map(metricColumn), ...RUN_COLUMNS];
}

export type SummaryRow = { run: ShelfRun } & Record<ColumnKey, number | undefined>;

const median = (values: readonly number[]): number | undefined => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : undefined;
};

const maxOf = (values: readonly number[]): number | undefined => {
  const v = values.filter(Number.isFinite);
  return v.length ? Math.max(...v) : undefined;
};

export function summaryRow(run: ShelfRun): SummaryRow {
  const m = run.metrics;
  // Validation lines only: a forecast also evaluates its test split at the end.
  const val = m.evals.filter((e) => e.split === 'val');
  const losses = val.map((e) => e.loss).filter(Number.isFinite);
  const peaks = m.memory.hasBreakdown ? m.memory.peak : m.memory.inUse;
  return {
    run,
    finalValLoss: val.at(-1)?.loss,
    bestValLoss: losses.length ? Math.min(...losses) : undefined,
    ...(Object.fromEntries(METRIC_KEYS.map((k) => [k, val.at(-1)?.[k]])) as Record<EvalMetricKey, number | undefined>),
    peakMeasured: maxOf(peaks),
    peakPredicted: run.predictedPeak,
    tokensPerSec: median(m.tokensPerSec),
    wallMs: m.length ? run.activeMs : undefined,
    skipped: m.hasLossScale ? m.skipped.length : undefined,
  };
}

/** The best value of each column among the rows that have one (no mark when all are equal). */
export function bestValues(rows: readonly SummaryRow[]): Partial<Record<ColumnKey, number>> {
  const best: Partial<Record<ColumnKey, number>> = {};
  for (const c of COLUMNS) {
    const values = rows.map((r) => r[c.key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length < 2 || new Set(values).size === 1) continue;
    best[c.key] = c.better === 'lower' ? Math.min(...values) : Math.max(...values);
  }
  return best;
}

/** How the table may be ordered: as the grid made the runs, by name, or by a column. */
export type SortKey = ColumnKey | 'name' | 'order';

/** Rows ordered by a column; runs without a value go last either way. */
export function sortRows(rows: readonly SummaryRow[], key: SortKey, descending: boolean): SummaryRow[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (key === 'order') return sign * (a.run.createdAt - b.run.createdAt);
    if (key === 'name') return sign * a.run.name.localeCompare(b.run.name);
    const x = a[key];
    const y = b[key];
    if (x === undefined || !Number.isFinite(x)) return y === undefined || !Number.isFinite(y) ? 0 : 1;
    if (y === undefined || !Number.isFinite(y)) return -1;
    return sign * (x - y);
  });
}
