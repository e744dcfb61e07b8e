/**
 * The runs the page keeps (see storage/records.ts) as the store holds them: the same records
 * with their metrics as the run's one RunMetrics (store.metrics), which its batches append to.
 */
import type { RunState } from '../../worker/protocol';
import { SINGLE_RUNS, type Comparison, type KeptRun, type KeptStatus } from '../storage/records';
import type { RunMetrics } from './metrics';
import type { RunView } from './store';

export interface ShelfRun extends KeptRun {
  metrics: RunMetrics;
}

export interface LibraryState {
  /** `unavailable`: IndexedDB could not be opened (private mode, blocked); runs live only in this page. */
  status: 'loading' | 'ready' | 'unavailable';
  message?: string;
  comparisons: Comparison[];
  runs: ShelfRun[];
  /** The comparison shown in the comparison view. */
  selected: string;
}

export const EMPTY_LIBRARY: LibraryState = { status: 'loading', comparisons: [SINGLE_RUNS], runs: [], selected: SINGLE_RUNS.id };

/** A run's status from the worker's state of it. */
export function keptStatus(state: RunState): KeptStatus {
  switch (state) {
    case 'starting':
    case 'running':
      return 'running';
    case 'pausing':
    case 'paused':
      return 'paused';
    case 'stopping':
    case 'stopped':
      return 'stopped';
    case 'done':
      return 'done';
    case 'failed':
      return 'failed';
  }
}

/** Statuses of a run that may go on from its checkpoint (or from the start when it has none). */
export const RESUMABLE: readonly KeptStatus[] = ['paused', 'stopped', 'cancelled', 'interrupted', 'queued'];

/** The page's record of a run, without its metrics (the worker stores those). */
export function toKept(r: ShelfRun): KeptRun {
  const { metrics: _, ...kept } = r;
  return kept;
}

/**
 * A stored run as the page shows it after a reload: a run that was training or paused has no
 * live model any more, so it is `interrupted` and resumes from its checkpoint.
 */
export function fromKept(k: KeptRun, metrics: RunMetrics): ShelfRun {
  const status: KeptStatus = k.status === 'running' || k.status === 'paused' ? 'interrupted' : k.status;
  return { ...k, status, metrics };
}

/**
 * The run the main page shows after a reload: the one that last trained or changed. A tie (two
 * writes in one millisecond) goes to the run created later, and then to the greater id, so the
 * same database always restores the same run.
 */
export function latestRun<T extends KeptRun>(runs: readonly T[]): T | undefined {
  const touched = (r: KeptRun) => r.updatedAt ?? r.createdAt;
  const later = (a: T, b: T) => touched(a) - touched(b) || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return runs.reduce<T | undefined>((best, r) => (best === undefined || later(r, best) > 0 ? r : best), undefined);
}

export const runsOf = (lib: LibraryState, comparisonId: string): ShelfRun[] => lib.runs.filter((r) => r.comparisonId === comparisonId);

export function replaceRun(lib: LibraryState, id: string, change: (r: ShelfRun) => ShelfRun): LibraryState {
  return { ...lib, runs: lib.runs.map((r) => (r.id === id ? change(r) : r)) };
}

/** Statuses worth a "Resume from step N" banner when the run is the last one after a reload. */
const RESTORE_RESUMABLE: readonly KeptStatus[] = ['interrupted', 'paused', 'stopped', 'cancelled'];

/** The main page's view of a kept run after a reload: its charts, and where it can resume. */
export function restoredView(r: ShelfRun): RunView {
  const state = r.status === 'done' ? 'done' : r.status === 'failed' ? 'failed' : r.status === 'queued' ? 'paused' : 'stopped';
  const resumable = RESTORE_RESUMABLE.includes(r.status);
  return {
    id: r.id, config: r.config, parameterCount: 0, startStep: 0, targetSteps: r.targetSteps, imported: false, state, step: r.step,
    phase: 'training', activeMs: r.activeMs, activeAt: 0, metrics: r.metrics, live: false,
    restored: { status: r.status, name: r.name, ...(resumable && r.checkpointStep !== undefined ? { checkpointStep: r.checkpointStep } : {}) },
  };
}
