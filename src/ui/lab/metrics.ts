/**
 * A run's metrics, kept at full resolution in columns (a 10,000-step run is a few hundred KB)
 * and appended in place; `version` changes on every append so views can memoise on it.
 */
import type { EvalMetrics, StepMetrics } from '../../engine/train/trainer';
import { EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import { MEMORY_CATEGORIES, type MemoryBreakdown, type MemoryCategory } from '../../worker/protocol';

export interface MemoryColumns {
  step: number[];
  categories: Record<MemoryCategory, number[]>;
  peak: number[];
  inUse: number[];
  allocated: number[];
  /** Whether the engine reported a per-category breakdown (else only the backend's figures). */
  hasBreakdown: boolean;
}

/** RunMetrics as plain data (what storage and comparison files hold). */
export interface MetricsData {
  step: number[];
  loss: number[];
  lr: number[];
  gradNorm: number[];
  tokensPerSec: number[];
  stepMs: number[];
  lossScale: number[];
  skipped: number[];
  evals: EvalMetrics[];
  memory: MemoryColumns;
}

export class RunMetrics {
  version = 0;
  readonly step: number[] = [];
  readonly loss: number[] = [];
  readonly lr: number[] = [];
  readonly gradNorm: number[] = [];
  readonly tokensPerSec: number[] = [];
  readonly stepMs: number[] = [];
  /** NaN where the step had no loss scaler. */
  readonly lossScale: number[] = [];
  /** Steps whose optimizer update was skipped (fp16 overflow). */
  readonly skipped: number[] = [];
  readonly evals: EvalMetrics[] = [];
  readonly memory: MemoryColumns = {
    step: [],
    categories: Object.fromEntries(MEMORY_CATEGORIES.map((c) => [c, []])) as unknown as Record<MemoryCategory, number[]>,
    peak: [],
    inUse: [],
    allocated: [],
    hasBreakdown: false,
  };

  get length(): number {
    return this.step.length;
  }

  get hasLossScale(): boolean {
    return this.lossScale.some((v) => !Number.isNaN(v));
  }

  addStep(m: StepMetrics): void {
    this.step.push(m.step);
    this.loss.push(m.loss);
    this.lr.push(m.lr);
    this.gradNorm.push(m.gradNorm);
    this.tokensPerSec.push(m.tokensPerSec);
    this.stepMs.push(m.stepMs);
    this.lossScale.push(m.lossScale ?? Number.NaN);
    if (m.skipped) this.skipped.push(m.step);
    this.version++;
  }

  addEval(m: EvalMetrics): void {
    this.evals.push(m);
    this.version++;
  }

  addMemory(step: number, m: MemoryBreakdown): void {
    const mem = this.memory;
    mem.step.push(step);
    for (const c of MEMORY_CATEGORIES) mem.categories[c].push(m[c] ?? 0);
    if (MEMORY_CATEGORIES.some((c) => m[c] !== undefined)) mem.hasBreakdown = true;
    mem.peak.push(m.peak ?? Number.NaN);
    mem.inUse.push(m.backendInUse);
    mem.allocated.push(m.backendAllocated ?? Number.NaN);
    this.version++;
  }

  /** A plain copy for storage (IndexedDB, comparison files). */
  toData(): MetricsData {
    const { step, loss, lr, gradNorm, tokensPerSec, stepMs, lossScale, skipped, evals, memory } = this;
    const copy = (a: readonly number[]) => [...a];
    return {
      step: copy(step), loss: copy(loss), lr: copy(lr), gradNorm: copy(gradNorm), tokensPerSec: copy(tokensPerSec), stepMs: copy(stepMs),
      lossScale: copy(lossScale), skipped: copy(skipped), evals: evals.map((e) => ({ ...e })),
      memory: {
        step: copy(memory.step), peak: copy(memory.peak), inUse: copy(memory.inUse), allocated: copy(memory.allocated), hasBreakdown: memory.hasBreakdown,
        categories: Object.fromEntries(MEMORY_CATEGORIES.map((c) => [c, copy(memory.categories[c])])) as Record<MemoryCategory, number[]>,
      },
    };
  }

  static fromData(d: MetricsData): RunMetrics {
    const m = new RunMetrics();
    const fill = (to: number[], from: readonly number[]) => to.push(...from);
    fill(m.step, d.step); fill(m.loss, d.loss); fill(m.lr, d.lr); fill(m.gradNorm, d.gradNorm);
    fill(m.tokensPerSec, d.tokensPerSec); fill(m.stepMs, d.stepMs); fill(m.lossScale, d.lossScale); fill(m.skipped, d.skipped);
    m.evals.push(...d.evals.map((e) => ({ ...e })));
    fill(m.memory.step, d.memory.step); fill(m.memory.peak, d.memory.peak); fill(m.memory.inUse, d.memory.inUse); fill(m.memory.allocated, d.memory.allocated);
    for (const c of MEMORY_CATEGORIES) fill(m.memory.categories[c], d.memory.categories[c] ?? []);
    m.memory.hasBreakdown = d.memory.hasBreakdown;
    return m;
  }

  /**
   * Drops everything from step `from` on: a run resumed from a checkpoint of step `from` redoes
   * those steps (and evaluates again at `from`), so the earlier attempt's records would repeat.
   */
  truncate(from: number): void {
    const keep = this.step.findIndex((s) => s >= from);
    if (keep >= 0) for (const col of [this.step, this.loss, this.lr, this.gradNorm, this.tokensPerSec, this.stepMs, this.lossScale]) col.length = keep;
    const kept = <T>(a: T[], ok: (x: T) => boolean) => a.splice(0, a.length, ...a.filter(ok));
    kept(this.skipped, (s) => s < from);
    kept(this.evals, (e) => e.step < from);
    const mem = this.memory;
    const memKeep = mem.step.findIndex((s) => s >= from);
    if (memKeep >= 0) for (const col of [mem.step, mem.peak, mem.inUse, mem.allocated, ...MEMORY_CATEGORIES.map((c) => mem.categories[c])]) col.length = memKeep;
    this.version++;
  }

  /** The last value of a column, or undefined. */
  last(column: 'loss' | 'lr' | 'gradNorm' | 'tokensPerSec' | 'stepMs'): number | undefined {
    return this[column].at(-1);
  }
}

const cell = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : String(v));

/**
 * The metrics as CSV, one row per optimizer step (`split` train) and per evaluation (`split`
 * val, or a forecast's test), like the command line's --metrics lines: a column for every task
 * metric (tasks/metrics.ts), empty where the task has none; memory columns in bytes where reported.
 */
export function metricsCsv(m: RunMetrics): string {
  const mem = new Map(m.memory.step.map((s, i) => [s, i]));
  const memCols = [...MEMORY_CATEGORIES, 'peak', 'backendInUse', 'backendAllocated'];
  const evalCols = Object.keys(EVAL_METRICS) as EvalMetricKey[];
  const header = ['split', 'step', 'loss', 'lr', 'gradNorm', 'tokensPerSec', 'stepMs', 'lossScale', 'skipped', ...evalCols, ...memCols.map((c) => `mem_${c}`)];
  const rows: string[][] = [];
  const skipped = new Set(m.skipped);
  for (let i = 0; i < m.length; i++) {
    const s = m.step[i]!;
    const j = mem.get(s);
    const memory = j === undefined
      ? memCols.map(() => '')
      : [...MEMORY_CATEGORIES.map((c) => (m.memory.hasBreakdown ? cell(m.memory.categories[c][j]) : '')), cell(m.memory.peak[j]), cell(m.memory.inUse[j]), cell(m.memory.allocated[j])];
    const scale = m.lossScale[i]!;
    rows.push(['train', String(s), cell(m.loss[i]), cell(m.lr[i]), cell(m.gradNorm[i]), cell(m.tokensPerSec[i]), cell(m.stepMs[i]), cell(scale), Number.isNaN(scale) ? '' : skipped.has(s) ? '1' : '0', ...evalCols.map(() => ''), ...memory]);
  }
  for (const e of m.evals) {
    rows.push([e.split, String(e.step), cell(e.loss), '', '', '', '', '', '', ...evalCols.map((k) => cell(e[k])), ...memCols.map(() => '')]);
  }
  rows.sort((a, b) => Number(a[1]) - Number(b[1]) || (a[0] === 'train' ? -1 : 1));
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}
