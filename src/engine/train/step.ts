import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../model/context';
import type { MemoryMeter } from '../memory/meter';
import type { StackRunner } from '../model/forward';
import type { TransformerModel } from '../model/model';
import { clipGradNorm } from '../optim/clip';
import type { Optimizer } from '../optim/optimizers';
import type { LossScaler } from '../precision/lossScaler';
import type { LabModelConfig } from '../modelKind';
import type { MicroBatch } from './objective';
import { lossAndGrads } from './gradients';

export interface StepInputs {
  model: TransformerModel<LabModelConfig>;
  optimizer: Optimizer;
  microBatches: MicroBatch[];
  contextFor: (micro: number) => ForwardContext;
  runner: StackRunner;
  lr: number;
  clipGradNorm: number | null;
  /** fp16 loss scaling; null runs unscaled and never skips. */
  scaler: LossScaler | null;
  /** Memory accounting: samples the live bytes through the step (no device read). */
  meter?: MemoryMeter;
}

export interface StepOutcome {
  /** Mean loss of the step (unscaled). */
  loss: number;
  /** Global gradient norm before clipping (unscaled). */
  gradNorm: number;
  /** True when a gradient was inf or NaN and the optimizer step was skipped. */
  skipped: boolean;
}

/**
 * One optimizer step as PyTorch's GradScaler recipe runs it: gradients of the scaled loss,
 * unscaled, clipped, and applied only when every one is finite. Exactly one read from the
 * device: the loss, the norm and the overflow flag together. A non-finite loss without a
 * scaler leaves the weights untouched (the caller reports divergence).
 */
export async function optimizerStep(s: StepInputs): Promise<StepOutcome> {
  const names = s.model.specs.map((spec) => spec.name);
  const scale = s.scaler?.scale ?? 1;
  const { readout, grads } = tf.tidy(() => {
    const { loss, grads: scaled } = lossAndGrads(s.model, s.microBatches, s.contextFor, s.runner, scale, s.meter);
    const unscaled = s.scaler ? new Map([...scaled].map(([n, g]) => [n, g.mul(s.scaler!.inverseScale)])) : scaled;
    const clipped = clipGradNorm(unscaled, s.clipGradNorm);
    const nonFinite = s.scaler
      ? tf.sum(tf.stack([...unscaled.values()].map((g) => g.isFinite().logicalNot().any().cast('float32')))) // stacked: see clip.ts
      : tf.scalar(0);
    const readout = tf.stack([loss, clipped.norm, nonFinite]);
    s.meter?.sample('clipped');
    return { readout, grads: names.map((n) => clipped.grads.get(n)!) };
  });
  const [loss, gradNorm, nonFinite] = await readout.data();
  readout.dispose();
  const skipped = nonFinite! > 0;
  if (!skipped && Number.isFinite(loss)) {
    tf.tidy(() => s.optimizer.step(new Map(names.map((n, i) => [n, grads[i]!])), s.lr));
  }
  s.meter?.sample('optimizer');
  tf.dispose(grads);
  s.scaler?.update(skipped);
  return { loss: loss!, gradNorm: gradNorm!, skipped };
}
