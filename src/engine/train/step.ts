import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../model/context';
import type { MemoryMeter } from '../memory/meter';
import type { StackRunner } from '../model/forward';
import type { TransformerModel } from '../model/model';
import { nonFiniteCount } from '../kernels/nonFinite';
import { clipGradNorm } from '../optim/clip';
import type { Optimizer } from '../optim/optimizers';
import type { DeviceLossScaler } from '../precision/lossScaler';
import type { LabModelConfig } from '../modelKind';
import type { OffloadingRunner } from '../autograd/offload';
import type { MicroBatch } from './objective';
import { lossAndGrads, offloadedLossAndGrads, type LossAndGrads } from './gradients';

export interface StepInputs {
  model: TransformerModel<LabModelConfig>;
  optimizer: Optimizer;
  microBatches: MicroBatch[];
  contextFor: (micro: number) => ForwardContext;
  /**
   * How the stacks run: on the device (plainly or checkpointed), or, with activation offloading,
   * a runner per micro-batch whose segment boundaries go to that micro-batch's host memory.
   */
  runner: StackRunner | OffloadingRunner;
  lr: number;
  clipGradNorm: number | null;
  /** fp16 loss scaling, held on the device; null runs unscaled and never skips. */
  scaler: DeviceLossScaler | null;
  /** Memory accounting: samples the live bytes through the step (no device read). */
  meter?: MemoryMeter;
}

/** What one step leaves on the device for the next read: [loss, gradNorm, overflow, scale]. */
export const READOUT = { loss: 0, gradNorm: 1, overflow: 2, scale: 3, size: 4 } as const;

/**
 * Device state that outlives a step without a read: without a loss scaler, whether a
 * non-finite loss has been seen (after it nothing lands, so the weights stay the last good ones
 * until the host reads the loss and stops the run).
 */
export class StepGate {
  private haltedTensor: tf.Tensor = tf.scalar(false, 'bool');

  get halted(): tf.Tensor {
    return this.haltedTensor;
  }

  replace(next: tf.Tensor): void {
    this.haltedTensor.dispose();
    this.haltedTensor = next;
  }

  dispose(): void {
    this.haltedTensor.dispose();
  }
}

/**
 * One optimizer step as PyTorch's GradScaler recipe runs it: gradients of the scaled loss,
 * unscaled, clipped, and applied only when every one is finite (and the loss is). The decision
 * is made on the device and nothing is read back: the returned readout (READOUT's layout) is
 * the caller's to read with others and to dispose. With `commit` false (a compile-only warm-up)
 * the same kernels run and nothing changes: weights, optimizer state, scaler and gate.
 * An offloading runner awaits each micro-batch's boundaries on their way to host memory;
 * `hostBytes` is the most that one micro-batch kept there (0 without offloading).
 */
export async function queueStep(s: StepInputs, gate: StepGate, commit = true): Promise<{ readout: tf.Tensor; hostBytes: number }> {
  const scale = s.scaler?.scale ?? 1;
  const runner = s.runner;
  if (!('offload' in runner)) {
    return { readout: applyStep(s, gate, () => lossAndGrads(s.model, s.microBatches, s.contextFor, runner, scale, s.meter), commit), hostBytes: 0 };
  }
  const got = await offloadedLossAndGrads(s.model, s.microBatches, s.contextFor, runner.offload, scale, s.meter);
  try {
    return { readout: applyStep(s, gate, () => got, commit), hostBytes: got.hostBytes };
  } finally {
    tf.dispose([got.loss, ...got.grads.values()]);
  }
}

/** The step after the gradients: `gradients` runs inside the step's tidy (what it makes there is freed). */
function applyStep(s: StepInputs, gate: StepGate, gradients: () => LossAndGrads, commit: boolean): tf.Tensor {
  const names = s.model.specs.map((spec) => spec.name);
  const scale = s.scaler?.scale;
  const { readout, grads, apply, found, halted } = tf.tidy(() => {
    const { loss, grads: scaled } = gradients();
    const inverse = scale ? tf.div(1, scale) : null;
    const unscaled = inverse ? new Map([...scaled].map(([n, g]) => [n, g.mul(inverse)])) : scaled;
    const clipped = clipGradNorm(unscaled, s.clipGradNorm);
    const nonFinite = s.scaler ? nonFiniteCount([...unscaled.values()]) : tf.scalar(0);
    const found = nonFinite.greater(0);
    const finiteLoss = loss.isFinite();
    // Without a scaler a non-finite loss stops the run: nothing after it may land either.
    const halted = s.scaler ? gate.halted.clone() : gate.halted.logicalOr(finiteLoss.logicalNot());
    const apply = found.logicalNot().logicalAnd(finiteLoss).logicalAnd(gate.halted.logicalNot());
    const readout = tf.stack([loss, clipped.norm, nonFinite, scale ?? tf.scalar(1)]);
    s.meter?.sample('clipped');
    return { readout, grads: names.map((n) => clipped.grads.get(n)!), apply, found, halted };
  });
  s.optimizer.stepWhere(new Map(names.map((n, i) => [n, grads[i]!])), s.lr, apply, commit);
  s.meter?.sample('optimizer');
  s.scaler?.update(found, commit);
  if (commit) gate.replace(halted);
  else halted.dispose();
  tf.dispose([...grads, apply, found]);
  return readout;
}
