import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../model/context';
import { runPlainly, type StackRunner } from '../model/forward';
import type { TransformerModel } from '../model/model';
import type { LabModelConfig } from '../modelKind';
import type { MemoryMeter } from '../memory/meter';
import type { Batch } from '../../tasks/types';
import { objectiveFor, type MicroBatch } from './objective';

export { targetCount } from './objective';

/** A batch as plain arrays (the reference's batch JSON). */
export type HostBatch = Batch;

export interface LossAndGrads {
  /** Mean loss over every non-PAD target of all micro-batches. */
  loss: tf.Scalar;
  grads: Map<string, tf.Tensor>;
}

/**
 * Gradients of the mean loss over several micro-batches (the model kind's objective: token
 * cross-entropy, or the forecaster's squared error). Each micro-batch contributes its summed
 * loss divided by the total target count, so k micro-batches give the update of one batch
 * holding all their rows, padding included.
 * `contextFor(i)` gives micro-batch i its forward context: its dropout rows (model/context.ts)
 * and, under autocast, the rounding of weight gradients, applied here once to their sums.
 * `lossScale` multiplies the differentiated loss (fp16 loss scaling) but not the reported loss.
 * A `meter` samples the live bytes through the forward and backward passes (memory accounting;
 * values unchanged).
 */
export function lossAndGrads(
  model: TransformerModel<LabModelConfig>,
  microBatches: MicroBatch[],
  contextFor: (micro: number) => ForwardContext,
  run: StackRunner = runPlainly,
  lossScale = 1,
  meter?: MemoryMeter,
): LossAndGrads {
  const objective = objectiveFor(model.config);
  const total = Math.max(1, microBatches.reduce((n, b) => n + objective.count(b), 0));
  const params = model.list();
  const xs = params.map((p) => p.variable);
  let lossSum: tf.Scalar | null = null;
  let gradSums: tf.Tensor[] | null = null;
  const runner = meter ? meter.runner(run) : run;
  let roundWeightGradient: ForwardContext['roundWeightGradient'];
  microBatches.forEach((batch, micro) => {
    const { value, grads } = tf.tidy(() => {
      const tensors = objective.upload(batch);
      const ctx = contextFor(micro);
      roundWeightGradient = ctx.roundWeightGradient;
      const f = (...ps: tf.Tensor[]) => {
        meter?.beginForward(micro);
        const byName = new Map(params.map((p, i) => [p.name, ps[i]!]));
        const plain = (name: string) => byName.get(name) ?? model.lookup(name);
        const lookup = meter ? meter.lookup(plain) : plain;
        const loss = objective.sumLoss(ctx, lookup, tensors, runner).mul(lossScale / total) as tf.Scalar;
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
  const sums = gradSums!;
  if (roundWeightGradient) {
    // Autocast's half weight gradients, rounded once from the sum over every micro-batch.
    const round = roundWeightGradient;
    model.specs.forEach((spec, i) => {
      if (!spec.matMulWeight) return;
      const rounded = round(sums[i]!);
      sums[i]!.dispose();
      sums[i] = rounded;
    });
  }
  return { loss, grads: new Map(params.map((p, i) => [p.name, sums[i]!])) };
}
