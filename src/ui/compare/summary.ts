/**
 * The summary table's rows: one per run, each column a number that may be missing, and which
 * value is the best of each column (lower or higher, as the column says).
 */
import type { ShelfRun } from '../lab/library';

export const COLUMNS = [
  { key: 'finalValLoss', label: 'Final val loss', better: 'lower' },
  { key: 'bestValLoss', label: 'Best val loss', better: 'lower' },
  { key: 'exactMatch', label: 'Exact match', better: 'higher' },
  { key: 'bitsPerChar', label: 'Bits/char', better: 'lower' },
  { key: 'peakMeasured', label: 'Peak memory', better: 'lower' },
  { key: 'peakPredicted', label: 'Predicted peak', better: 'lower' },
  { key: 'tokensPerSec', label: 'Tokens/s', better: 'higher' },
  { key: 'wallMs', label: 'Wall time', better: 'lower' },
  { key: 'skipped', label: 'Skipped steps', better: 'lower' },
] as const;

export type ColumnKey = (typeof COLUMNS)[number]['key'];

/** The columns that apply to these runs: exact match for the example tasks, bits per character for text. */
export function columnsFor(runs: readonly Pick<ShelfRun, 'config'>[]): (typeof COLUMNS)[number][] {
  const text = runs.some((r) => r.config.task.name === 'text');
  const examples = runs.some((r) => r.config.task.name !== 'text');
  return COLUMNS.filter((c) => (c.key !== 'bitsPerChar' || text) && (c.key !== 'exactMatch' || examples));
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
  const losses = m.evals.map((e) => e.loss).filter(Number.isFinite);
  const peaks = m.memory.hasBreakdown ? m.memory.peak : m.memory.inUse;
  return {
    run,
    finalValLoss: m.evals.at(-1)?.loss,
    bestValLoss: losses.length ? Math.min(...losses) : undefined,
    exactMatch: m.evals.at(-1)?.exactMatch,
    bitsPerChar: m.evals.at(-1)?.bitsPerChar,
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
