import type { MemoryBreakdown } from '../memory/breakdown';
import type { EvalFields, EvalSplit } from './streams';

/* What a run reports: a line per optimizer step and per evaluation, and how it stops. */

export interface StepMetrics {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Non-PAD input tokens (src and tgtIn) processed per second of wall time; for a forecaster, variate tokens (rows × nVariates). */
  tokensPerSec: number;
  stepMs: number;
  /** With loss scaling: the scale this step used, and whether an overflow skipped it. */
  lossScale?: number;
  skipped?: boolean;
  /** Where the step's bytes went (see memory/breakdown.ts), sampled without device reads. */
  memory?: MemoryBreakdown;
  /**
   * The backend's live tensors and their bytes after the step (memory/live.ts): flat over a run
   * that leaks nothing. Always set by the trainer; optional for lines kept from before it did.
   */
  liveTensors?: number;
  liveBytes?: number;
}

/**
 * An evaluation line: `loss` and the task's metrics (tasks/metrics.ts: exact match and token
 * accuracy; bits per character, token accuracy and a sample; or a forecast's MSE, MAE and its
 * baselines' with the evaluation's memory), on the validation split, or for a forecast also the
 * test split at the end.
 */
export type EvalMetrics = { step: number; split: EvalSplit } & EvalFields;

export type TrainerEvent = { type: 'step'; metrics: StepMetrics } | { type: 'eval'; metrics: EvalMetrics };

/** Raised when the loss stops being a finite number. */
export class DivergedError extends Error {
  constructor(readonly step: number) {
    super(`training diverged at step ${step}: the loss is not a finite number; lower the learning rate or clip gradients`);
    this.name = 'DivergedError';
  }
}
