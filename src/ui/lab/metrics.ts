/**
 * A run's metrics on the page, kept at full resolution in columns (a 10,000-step run is a few
 * hundred KB) and appended in place by the worker's batches; `version` changes on every change
 * so views can memoise on it. There is one RunMetrics per run id, handed out by the store's
 * MetricsBook: the run's charts, its row in the runs table and its overlay curves all read the
 * same object.
 */
import type { EvalMetrics, StepMetrics } from '../../engine/train/events';
import { EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import { MEMORY_CATEGORIES, type MemoryBreakdown } from '../../worker/protocol';
import { addMemory, addStep, appendMetrics, copyMetrics, emptyMetrics, truncateMetrics, type MemoryColumns, type MetricsData } from '../../worker/metricsData';

export type { MemoryColumns, MetricsData };

export class RunMetrics implements MetricsData {
  version = 0;
  readonly step: number[] = [];
  readonly loss: number[] = [];
  readonly lr: number[] = [];
  readonly gradNorm: number[] = [];
  readonly tokensPerSec: number[] = [];
  readonly stepMs: number[] = [];
  readonly lossScale: number[] = [];
  readonly skipped: number[] = [];
  readonly warmup: number[] = [];
  readonly liveTensors: number[] = [];
  readonly liveBytes: number[] = [];
  readonly evals: EvalMetrics[] = [];
  readonly memory: MemoryColumns = emptyMetrics().memory;
  private axes?: { version: number; time: number[]; tokens: number[] };

  get length(): number {
    return this.step.length;
  }

  get hasLossScale(): boolean {
    return this.lossScale.some((v) => !Number.isNaN(v));
  }

  /** A batch from the worker, or a stored history. */
  append(d: MetricsData): void {
    appendMetrics(this, d);
    this.version++;
  }

  addStep(m: StepMetrics, warmup = false): void {
    addStep(this, m, warmup);
    this.version++;
  }

  addEval(m: EvalMetrics): void {
    this.evals.push(m);
    this.version++;
  }

  addMemory(step: number, m: MemoryBreakdown): void {
    addMemory(this, step, m);
    this.version++;
  }

  /** A plain copy for storage and files. */
  toData(): MetricsData {
    return copyMetrics(this);
  }

  static fromData(d: MetricsData): RunMetrics {
    const m = new RunMetrics();
    m.append(d);
    return m;
  }

  /** Drops everything from step `from` on (a run resumed there redoes it). */
  truncate(from: number): void {
    truncateMetrics(this, from);
    this.version++;
  }

  /** The last value of a column, or undefined. */
  last(column: 'loss' | 'lr' | 'gradNorm' | 'tokensPerSec' | 'stepMs'): number | undefined {
    return this[column].at(-1);
  }

  /**
   * Cumulative x values at the end of each step: training time (the steps' own time, ms;
   * evaluations and pauses excluded) and tokens seen (non-PAD input tokens).
   */
  cumulative(): { time: readonly number[]; tokens: readonly number[] } {
    if (this.axes?.version !== this.version) {
      const time: number[] = [];
      const tokens: number[] = [];
      let t = 0;
      let n = 0;
      for (let i = 0; i < this.step.length; i++) {
        const ms = this.stepMs[i]!;
        t += ms;
        n += Math.round((this.tokensPerSec[i]! * ms) / 1000);
        time.push(t);
        tokens.push(n);
      }
      this.axes = { version: this.version, time, tokens };
    }
    return this.axes;
  }
}

/** The one RunMetrics of each run id. */
export class MetricsBook {
  private readonly byRun = new Map<string, RunMetrics>();

  of(runId: string): RunMetrics {
    let m = this.byRun.get(runId);
    if (!m) this.byRun.set(runId, (m = new RunMetrics()));
    return m;
  }

  /** Replaces a run's history (loaded from storage or a file) in its one object. */
  load(runId: string, d: MetricsData): RunMetrics {
    const m = this.of(runId);
    m.truncate(0);
    m.append(d);
    return m;
  }

  forget(runId: string): void {
    this.byRun.delete(runId);
  }
}

const cell = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : String(v));

/**
 * The metrics as CSV, one row per optimizer step (`split` train) and per evaluation (`split`
 * val, or a forecast's test), like the command line's --metrics lines: a column for every task
 * metric (tasks/metrics.ts), empty where the task has none; memory columns in bytes where reported
 * (`mem_host`: an offloaded run's boundaries in host memory).
 */
export function metricsCsv(m: RunMetrics): string {
  const mem = new Map(m.memory.step.map((s, i) => [s, i]));
  const memCols = [...MEMORY_CATEGORIES, 'peak', 'backendInUse', 'backendAllocated', 'host'];
  const evalCols = Object.keys(EVAL_METRICS) as EvalMetricKey[];
  const header = ['split', 'step', 'loss', 'lr', 'gradNorm', 'tokensPerSec', 'stepMs', 'lossScale', 'skipped', 'liveTensors', 'liveBytes', ...evalCols, ...memCols.map((c) => `mem_${c}`)];
  const rows: string[][] = [];
  const skipped = new Set(m.skipped);
  for (let i = 0; i < m.length; i++) {
    const s = m.step[i]!;
    const j = mem.get(s);
    const memory = j === undefined
      ? memCols.map(() => '')
      : [...MEMORY_CATEGORIES.map((c) => (m.memory.hasBreakdown ? cell(m.memory.categories[c][j]) : '')), cell(m.memory.peak[j]), cell(m.memory.inUse[j]), cell(m.memory.allocated[j]), cell(m.memory.host[j])];
    const scale = m.lossScale[i]!;
    rows.push(['train', String(s), cell(m.loss[i]), cell(m.lr[i]), cell(m.gradNorm[i]), cell(m.tokensPerSec[i]), cell(m.stepMs[i]), cell(scale), Number.isNaN(scale) ? '' : skipped.has(s) ? '1' : '0', cell(m.liveTensors[i]), cell(m.liveBytes[i]), ...evalCols.map(() => ''), ...memory]);
  }
  for (const e of m.evals) {
    rows.push([e.split, String(e.step), cell(e.loss), '', '', '', '', '', '', '', '', ...evalCols.map((k) => cell(e[k])), ...memCols.map(() => '')]);
  }
  rows.sort((a, b) => Number(a[1]) - Number(b[1]) || (a[0] === 'train' ? -1 : 1));
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}
