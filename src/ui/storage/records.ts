/**
 * What the page keeps across reloads: comparisons and what it knows about each run (name,
 * config, status). A run's metrics, progress and last checkpoint are written by the training
 * worker (src/worker/storage.ts) in stores of their own, so listing runs never loads weights and
 * the page never writes what the worker writes while it trains.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import type { GridSpec } from '../compare/grid';

export type { Checkpoint, MetricsChunk, Progress } from '../../worker/storage';

/**
 * `queued`: waiting for its turn in a grid. `interrupted`: it was training when the page went
 * away; it resumes from its checkpoint. `cancelled`: stopped by the user before the end.
 */
export type KeptStatus = 'queued' | 'running' | 'paused' | 'stopped' | 'cancelled' | 'done' | 'failed' | 'interrupted';

export interface KeptRun {
  id: string;
  comparisonId: string;
  /** The name shown in legends and tables; the grid's label until renamed. */
  name: string;
  config: LabRunConfig;
  status: KeptStatus;
  /** Steps done, as the page last heard (the worker's progress record is newer while it trains). */
  step: number;
  targetSteps: number;
  /** Training time, pauses excluded (as last heard, like `step`). */
  activeMs: number;
  /** The predictor's peak for this config (bytes). */
  predictedPeak?: number;
  /** The step of the stored checkpoint, when there is one. */
  checkpointStep?: number;
  message?: string;
  createdAt: number;
  /** When it last trained or changed (the page restores the latest run after a reload). */
  updatedAt?: number;
}

export interface Comparison {
  id: string;
  name: string;
  createdAt: number;
  /** The grid it was built from; absent for the list of single runs. */
  grid?: GridSpec;
}

/** Single runs started with Start are kept together in this comparison. */
export const SINGLE_RUNS: Comparison = { id: 'single-runs', name: 'Single runs', createdAt: 0 };

/** `text`: a text task's `file`. `csv`: a forecast's `csv`. Each kind has names of its own. */
export type KeptFileKind = 'text' | 'csv';

/**
 * A file dropped on the page, kept so that the runs and configs naming it work after a reload:
 * a text as its bytes were dropped (the worker decodes and checks them again), a CSV as its text.
 */
export type KeptFile =
  | { kind: 'text'; name: string; content: ArrayBuffer; savedAt: number }
  | { kind: 'csv'; name: string; content: string; savedAt: number };
