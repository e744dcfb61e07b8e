/**
 * A run's metrics as plain columns: what the worker batches to the page and writes to
 * IndexedDB, what the page draws, and what comparison files hold. One shape everywhere, so a
 * batch, a stored chunk and a whole history append to each other the same way.
 *
 * TF.js-free (types only): the page imports it.
 */
import type { EvalMetrics, StepMetrics } from '../engine/train/events';
import { MEMORY_CATEGORIES, type MemoryBreakdown, type MemoryCategory } from './protocol';

export interface MemoryColumns {
  step: number[];
  categories: Record<MemoryCategory, number[]>;
  /** The engine's high-water mark within the step (NaN when it reports none). */
  peak: number[];
  /** The backend's bytes in use after the step. */
  inUse: number[];
  /** WebGPU: bytes in every buffer its pool holds (NaN elsewhere). */
  allocated: number[];
  /** Offloaded runs: bytes of segment boundaries waiting in host memory (NaN where none, or in older histories). */
  host: number[];
  /** Whether the engine reported a per-category breakdown (else only the backend's figures). */
  hasBreakdown: boolean;
}

export interface MetricsData {
  step: number[];
  loss: number[];
  lr: number[];
  gradNorm: number[];
  tokensPerSec: number[];
  stepMs: number[];
  /** NaN where the step had no loss scaler. */
  lossScale: number[];
  /** Steps whose optimizer update was skipped (fp16 overflow). */
  skipped: number[];
  /** Steps that were the first of a training session: they pay the kernels' compile and warm-up. */
  warmup: number[];
  /**
   * The backend's live tensors and their bytes after each step (flat over a run that leaks
   * nothing); NaN where a step had none reported (histories kept from before they were).
   */
  liveTensors: number[];
  liveBytes: number[];
  evals: EvalMetrics[];
  memory: MemoryColumns;
}

/** The per-step columns, one value per entry of `step`. */
const STEP_COLUMNS = ['step', 'loss', 'lr', 'gradNorm', 'tokensPerSec', 'stepMs', 'lossScale'] as const;
/** Per-step columns that older histories lack: filled with NaN when they are appended. */
const LATER_STEP_COLUMNS = ['liveTensors', 'liveBytes'] as const;

const MEMORY_VALUE_COLUMNS = ['step', 'peak', 'inUse', 'allocated'] as const;

export function emptyMetrics(): MetricsData {
  return {
    step: [], loss: [], lr: [], gradNorm: [], tokensPerSec: [], stepMs: [], lossScale: [], skipped: [], warmup: [], liveTensors: [], liveBytes: [], evals: [],
    memory: {
      step: [], peak: [], inUse: [], allocated: [], host: [], hasBreakdown: false,
      categories: Object.fromEntries(MEMORY_CATEGORIES.map((c) => [c, []])) as unknown as Record<MemoryCategory, number[]>,
    },
  };
}

export const isEmptyMetrics = (m: MetricsData) => m.step.length === 0 && m.evals.length === 0 && m.memory.step.length === 0;

export function addStep(m: MetricsData, s: StepMetrics, warmup = false): void {
  m.step.push(s.step);
  m.loss.push(s.loss);
  m.lr.push(s.lr);
  m.gradNorm.push(s.gradNorm);
  m.tokensPerSec.push(s.tokensPerSec);
  m.stepMs.push(s.stepMs);
  m.lossScale.push(s.lossScale ?? Number.NaN);
  m.liveTensors.push(s.liveTensors ?? Number.NaN);
  m.liveBytes.push(s.liveBytes ?? Number.NaN);
  if (s.skipped) m.skipped.push(s.step);
  if (warmup) m.warmup.push(s.step);
}

export function addMemory(m: MetricsData, step: number, b: MemoryBreakdown): void {
  const mem = m.memory;
  mem.step.push(step);
  for (const c of MEMORY_CATEGORIES) mem.categories[c].push(b[c] ?? 0);
  if (MEMORY_CATEGORIES.some((c) => b[c] !== undefined)) mem.hasBreakdown = true;
  mem.peak.push(b.peak ?? Number.NaN);
  mem.inUse.push(b.backendInUse);
  mem.allocated.push(b.backendAllocated ?? Number.NaN);
  mem.host.push(b.host ?? Number.NaN);
}

/** Appends `from` to `to` in place (a batch to a history, a stored chunk to the chunks before it). */
export function appendMetrics(to: MetricsData, from: MetricsData): void {
  const push = (a: number[], b: readonly number[]) => {
    for (const v of b) a.push(v);
  };
  for (const c of STEP_COLUMNS) push(to[c], from[c]);
  for (const c of LATER_STEP_COLUMNS) {
    const values = from[c] ?? [];
    push(to[c], values.length === from.step.length ? values : from.step.map(() => Number.NaN));
  }
  push(to.skipped, from.skipped);
  push(to.warmup, from.warmup ?? []);
  for (const e of from.evals) to.evals.push({ ...e });
  for (const c of MEMORY_VALUE_COLUMNS) push(to.memory[c], from.memory[c]);
  const host = from.memory.host ?? [];
  push(to.memory.host, host.length === from.memory.step.length ? host : from.memory.step.map(() => Number.NaN));
  for (const c of MEMORY_CATEGORIES) push(to.memory.categories[c], from.memory.categories[c] ?? []);
  to.memory.hasBreakdown ||= from.memory.hasBreakdown;
}

/**
 * Drops everything from step `from` on, in place: a run resumed from a checkpoint of step `from`
 * redoes those steps (and evaluates again at `from`), so the earlier attempt's records would repeat.
 */
export function truncateMetrics(m: MetricsData, from: number): void {
  const cut = (steps: readonly number[]) => {
    const i = steps.findIndex((s) => s >= from);
    return i < 0 ? steps.length : i;
  };
  const keep = cut(m.step);
  for (const c of [...STEP_COLUMNS, ...LATER_STEP_COLUMNS]) m[c].length = keep;
  const below = (a: number[]) => a.splice(0, a.length, ...a.filter((s) => s < from));
  below(m.skipped);
  below(m.warmup);
  m.evals.splice(0, m.evals.length, ...m.evals.filter((e) => e.step < from));
  const memKeep = cut(m.memory.step);
  for (const c of MEMORY_VALUE_COLUMNS) m.memory[c].length = memKeep;
  m.memory.host.length = Math.min(m.memory.host.length, memKeep);
  for (const c of MEMORY_CATEGORIES) m.memory.categories[c].length = memKeep;
}

/** A deep copy (for storage and files: the live columns keep growing). */
export function copyMetrics(m: MetricsData): MetricsData {
  const out = emptyMetrics();
  appendMetrics(out, m);
  return out;
}
