import * as tf from '@tensorflow/tfjs';
import { batchTensors } from '../model/batchTensors';
import type { ForwardContext } from '../model/context';
import { forwardLogits, runPlainly, type StackRunner } from '../model/forward';
import { tokenLoss } from '../model/loss';
import type { TransformerModel } from '../model/model';
import type { MemoryMeter } from '../memory/meter';
import { PAD, type Batch } from '../../tasks/types';

/** A batch as plain arrays (the reference's batch JSON). */
export type HostBatch = Batch;

export function targetCount(batch: HostBatch): number {
  let n = 0;
  for (const row of batch.tgtOut) for (const t of row) if (t !== PAD) n++;
  return n;
}

export interface LossAndGrads {
  /** Mean loss over every non-PAD target of all micro-batches. */
  loss: tf.Scalar;
  grads: Map<string, tf.Tensor>;
}

/**
 * Gradients of the mean token loss over several micro-batches. Each micro-batch contributes
 * its summed loss divided by the total target count, so k micro-batches give the update of
 * one batch holding all their rows, padding included.
 * `contextFor(i)` gives micro-batch i its own dropout stream; `lossScale` multiplies the
 * differentiated loss (fp16 loss scaling) but not the reported loss. A `meter` samples the
 * live bytes through the forward and backward passes (memory accounting; values unchanged).
 */
export function lossAndGrads(
  model: TransformerModel,
  microBatches: HostBatch[],
  contextFor: (micro: number) => ForwardContext,
  run: StackRunner = runPlainly,
  lossScale: number | tf.Tensor = 1,
  meter?: MemoryMeter,
): LossAndGrads {
  // A scale on the device (fp16 loss scaling decided there) multiplies as the number would:
  // fround(1/total)·scale equals fround(scale/total) for the powers of two scales are.
  const factorOf = (total: number) => (typeof lossScale === 'number' ? lossScale / total : lossScale.mul(1 / total));
  const total = Math.max(1, microBatches.reduce((n, b) => n + targetCount(b), 0));
  const params = model.list();
  const xs = params.map((p) => p.variable);
  let lossSum: tf.Scalar | null = null;
  let gradSums: tf.Tensor[] | null = null;
  const runner = meter ? meter.runner(run) : run;
  microBatches.forEach((batch, micro) => {
    const { value, grads } = tf.tidy(() => {
      const { tokens, targets } = batchTensors(batch);
      const ctx = contextFor(micro);
      const f = (...ps: tf.Tensor[]) => {
        meter?.beginForward(micro);
        const byName = new Map(params.map((p, i) => [p.name, ps[i]!]));
        const plain = (name: string) => byName.get(name) ?? model.lookup(name);
        const lookup = meter ? meter.lookup(plain) : plain;
        const logits = forwardLogits(ctx, lookup, model.config, tokens, runner);
        const loss = tokenLoss(logits, targets).sum.mul(factorOf(total)) as tf.Scalar;
        meter?.endForward();
        return meter ? meter.watchLoss(loss) : loss;
      };
      return tf.valueAndGrads(f)(xs);
    });
    meter?.sample('backward-end');
    const next = tf.tidy(() => ({
      loss: (lossSum ? lossSum.add(value) : value.clone()) as tf.Scalar,
      grads: gradSums ? gradSums.map((g, i) => g.add(grads[i]!)) : grads.map((g) => g.clone()),
    }));
    meter?.sample('accumulated');
    tf.dispose([value, ...grads, ...(lossSum ? [lossSum] : []), ...(gradSums ?? [])]);
    lossSum = next.loss;
    gradSums = next.grads;
  });
  const loss = tf.tidy(() => lossSum!.div(lossScale) as tf.Scalar);
  lossSum!.dispose();
  return { loss, grads: new Map(params.map((p, i) => [p.name, gradSums![i]!])) };
}
