/**
 * What the lab keeps across reloads: comparisons, their runs (config, metrics, progress) and
 * each run's last checkpoint (the weights JSON text with optimizer and scaler state, written by
 * the worker), stored apart so that listing runs never loads weights.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import type { MetricsData } from '../lab/metrics';
import type { GridSpec } from '../compare/grid';

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
  step: number;
  targetSteps: number;
  /** Training time, pauses excluded. */
  activeMs: number;
  /** The predictor's peak for this config (bytes). */
  predictedPeak?: number;
  /** The step of the stored checkpoint, when there is one. */
  checkpointStep?: number;
  message?: string;
  createdAt: number;
  metrics: MetricsData;
}

export interface Comparison {
  id: string;
  name: string;
  createdAt: number;
  /** The grid it was built from; absent for the list of single runs. */
  grid?: GridSpec;
}

export interface Checkpoint {
  runId: string;
  step: number;
  /** Weights JSON as the lab exports it (optimizer and scaler state, run config, step). */
  text: string;
}

/** Single runs started with Start are kept together in this comparison. */
export const SINGLE_RUNS: Comparison = { id: 'single-runs', name: 'Single runs', createdAt: 0 };
