/**
 * One run as the session keeps it, and what can be done to it without the session: the last
 * good weights (a plain document, exportable after the device is gone), the memory figures of a
 * step, the training time, freeing its tensors.
 */
import * as tf from '@tensorflow/tfjs';
import type { LabRunConfig } from '../engine/runConfig';
import type { Trainer } from '../engine/train/trainer';
import type { StepMetrics } from '../engine/train/events';
import type { WeightsDocument } from '../engine/weights/format';
import { stringifyWeights } from '../engine/weights/stringify';
import type { MemoryBreakdown, RunState } from './protocol';
import type { Recorder } from './recorder';

export interface Run {
  id: string;
  config: LabRunConfig;
  /** Gone once the run failed (its tensors are freed) or another run replaced it. */
  trainer?: Trainer<LabRunConfig>;
  target: number;
  state: RunState;
  /** The last good weights: taken at the start, at every finite evaluation, at pause, stop and the end. */
  snapshot?: { step: number; doc: WeightsDocument };
  /** Training time before the current stretch (earlier sessions of a resumed kept run included). */
  activeMs: number;
  since?: number;
  lastEvalStep: number;
  /** The page keeps this run: every snapshot is stored (when the worker has a database) and announced. */
  keep: boolean;
  /** Where its metrics go: batches to the page, chunks to storage. */
  recorder: Recorder;
  phase: 'training' | 'evaluating' | 'exporting';
  /** Steps queued on the device and not read back yet (the trainer's read-back window). */
  queued: number;
  /** The run is failing (the cause being named, the weights kept): no step starts. */
  failing?: { cause: unknown };
  /** Whether a step was read back yet: the first is read alone, so its warm-up cost stays its own. */
  readOnce: boolean;
}

export const LIVE: readonly RunState[] = ['starting', 'running', 'pausing', 'stopping'];

export async function takeSnapshot(r: Run): Promise<void> {
  if (r.trainer) r.snapshot = { step: r.trainer.step, doc: await r.trainer.weightsDocument('base64') };
}

/** The weights JSON text: the live model's, or the last good weights when there is none (or it fails). */
export async function weightsText(r: Run): Promise<{ text: string; step: number; fromSnapshot: boolean }> {
  if (r.trainer && r.state !== 'failed') {
    try {
      return { text: stringifyWeights(await r.trainer.weightsDocument('base64')), step: r.trainer.step, fromSnapshot: false };
    } catch {
      // e.g. a non-finite value: the last good weights below
    }
  }
  if (!r.snapshot) throw new Error('this run has no weights to export yet');
  return { text: stringifyWeights(r.snapshot.doc), step: r.snapshot.step, fromSnapshot: true };
}

/** A step's memory: the engine's breakdown (when it reports one) and the backend's own figures. */
export function memoryOf(metrics: StepMetrics): MemoryBreakdown {
  const engine = (metrics as StepMetrics & { memory?: Partial<MemoryBreakdown> }).memory;
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number; numBytesInGPUAllocated?: number };
  const allocated = m.numBytesAllocatedInGPU ?? m.numBytesInGPUAllocated;
  return {
    backendInUse: m.numBytesInGPU ?? m.numBytes,
    ...(allocated !== undefined ? { backendAllocated: allocated } : {}),
    ...(engine ?? {}),
  };
}

/** Frees the run's tensors; its snapshot stays for export. */
export function release(r: Run): void {
  try {
    r.trainer?.dispose();
  } catch {
    // a lost device cannot free its buffers; nothing to do
  }
  r.trainer = undefined;
}

/** Training time so far, pauses excluded. */
export const activeMs = (r: Run) => r.activeMs + (r.since !== undefined ? performance.now() - r.since : 0);

/** Stops the training clock. */
export function account(r: Run): void {
  r.activeMs = activeMs(r);
  r.since = undefined;
}
