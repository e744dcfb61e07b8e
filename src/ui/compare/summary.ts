/**
 * The summary table's rows: one per run, each column a number that may be missing, shown in one
 * unit per quantity (percent, MiB, ms), and which runs are the best of each column: every run
 * whose value reads the same as the best, so a tie gets a ★ each.
 *
 * Step time and tokens/s leave out the first step of each training session, which pays the
 * kernels' compile and warm-up: otherwise the first run of a grid would look slower for it.
 */
import { comparedMetrics, EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import { duration, mibText, num, percent } from '../lab/format';
import type { ShelfRun } from '../lab/library';

export type ColumnKey = 'finalValLoss' | 'bestValLoss' | EvalMetricKey | 'peakMeasured' | 'peakPredicted' | 'tokensPerSec' | 'stepMs' | 'wallMs' | 'skipped';

export interface Column {
  key: ColumnKey;
  label: string;
  /** Which way is better; none: no ★ (a total that depends on the steps asked for). */
  better?: 'lower' | 'higher';
  /** Shown unless the user hides it (the column chooser). */
  shown: boolean;
  format(v: number | undefined): string;
  /** What the column counts, on hover. */
  help: string;
}

const LOSSES: readonly Column[] = [
  { key: 'finalValLoss', label: 'Final val loss', better: 'lower', shown: true, format: (v) => num(v, 4), help: 'validation loss at the last evaluation' },
  { key: 'bestValLoss', label: 'Best val loss', better: 'lower', shown: false, format: (v) => num(v, 4), help: 'the lowest validation loss of any evaluation' },
];

const RUN_COLUMNS: readonly Column[] = [
  { key: 'peakMeasured', label: 'Peak memory', better: 'lower', shown: true, format: mibText, help: 'the highest step peak measured (all live tensors)' },
  { key: 'peakPredicted', label: 'Predicted peak', better: 'lower', shown: false, format: mibText, help: 'the predictor’s peak for the config' },
  { key: 'tokensPerSec', label: 'Tokens/s', better: 'higher', shown: true, format: (v) => num(v), help: 'median over the steps, each session’s first (warm-up) step left out' },
  { key: 'stepMs', label: 'Step time', better: 'lower', shown: true, format: (v) => (v === undefined ? '—' : `${num(v)} ms`), help: 'median step time, each session’s first (warm-up) step left out' },
  { key: 'wallMs', label: 'Training time', shown: true, format: duration, help: 'training time so far, pauses excluded' },
  { key: 'skipped', label: 'Skipped steps', better: 'lower', shown: false, format: (v) => (v === undefined ? '—' : String(v)), help: 'fp16 steps skipped for an overflow' },
];

const METRIC_KEYS = Object.keys(EVAL_METRICS) as EvalMetricKey[];

/** A task metric (tasks/metrics.ts) at the last validation evaluation, in the unit the charts use. */
const metricColumn = (key: EvalMetricKey): Column => {
  const spec = EVAL_METRICS[key];
  return {
    key, label: spec.title, better: spec.better, shown: true, format: spec.format === 'percent' ? percent : (v) => num(v, 4),
    help: `held-out ${spec.label} at the last evaluation`,
  };
};

/** Every column a row has (the task metrics of every task among them): what the column chooser offers. */
export const COLUMNS: readonly Column[] = [...LOSSES, ...METRIC_KEYS.map(metricColumn), ...RUN_COLUMNS];

/**
 * The columns for these runs: the losses, the metrics comparisons show for their tasks
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

const maxOf = (values: readonly number[]) => values.reduce<number | undefined>((m, v) => (Number.isFinite(v) && (m === undefined || v > m) ? v : m), undefined);

export function summaryRow(run: ShelfRun): SummaryRow {
  const m = run.metrics;
  // Validation lines only: a forecast also evaluates its test split at the end.
  const val = m.evals.filter((e) => e.split === 'val');
  const losses = val.map((e) => e.loss).filter(Number.isFinite);
  const warm = new Set(m.warmup);
  const steady = (column: readonly number[]) => column.filter((_, i) => !warm.has(m.step[i]!));
  const peaks = m.memory.peak.some(Number.isFinite) ? m.memory.peak : m.memory.inUse;
  return {
    run,
    finalValLoss: val.at(-1)?.loss,
    bestValLoss: losses.length ? losses.reduce((a, b) => Math.min(a, b)) : undefined,
    ...(Object.fromEntries(METRIC_KEYS.map((k) => [k, val.at(-1)?.[k]])) as Record<EvalMetricKey, number | undefined>),
    peakMeasured: maxOf(peaks),
    peakPredicted: run.predictedPeak,
    tokensPerSec: median(steady(m.tokensPerSec)) ?? median(m.tokensPerSec),
    stepMs: median(steady(m.stepMs)) ?? median(m.stepMs),
    wallMs: m.length ? run.activeMs : undefined,
    skipped: m.hasLossScale ? m.skipped.length : undefined,
  };
}

/**
 * The rows that are best in each column: every row whose value, as shown, equals the best one's
 * (ties all get it); no row when fewer than two have a value or when all read the same.
 */
export function bestRows(rows: readonly SummaryRow[]): Partial<Record<ColumnKey, Set<string>>> {
  const best: Partial<Record<ColumnKey, Set<string>>> = {};
  for (const c of COLUMNS) {
    if (!c.better) continue;
    const valued = rows.filter((r) => r[c.key] !== undefined && Number.isFinite(r[c.key]!));
    if (valued.length < 2) continue;
    const shown = valued.map((r) => c.format(r[c.key]));
    if (new Set(shown).size === 1) continue;
    const values = valued.map((r) => r[c.key]!);
    const top = c.better === 'lower' ? Math.min(...values) : Math.max(...values);
    const topShown = c.format(top);
    best[c.key] = new Set(valued.filter((_, i) => shown[i] === topShown).map((r) => r.run.id));
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
