import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../model/context';
import { runPlainly, type StackRunner } from '../model/forward';
import type { TransformerModel } from '../model/model';
import type { LabModelConfig } from '../modelKind';
import { HostBoundaries } from '../autograd/offload';
import { recordForward, type RecordedForward } from '../internals/tape';
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
  lossScale: number | tf.Tensor = 1,
  meter?: MemoryMeter,
): LossAndGrads {
  const sums = new GradientSums(model, microBatches, lossScale, meter);
  const runner = meter ? meter.runner(run) : run;
  microBatches.forEach((batch, micro) => {
    sums.add(tf.tidy(() => tf.valueAndGrads(sums.lossFunction(batch, micro, contextFor(micro), runner))(sums.xs)));
  });
  return sums.result();
}

/**
 * lossAndGrads with activation offloading (autograd/offload.ts): each micro-batch's forward pass
 * is recorded with a runner whose boundaries go to a fresh HostBoundaries, the boundaries are read
 * into host memory and leave the device, and then the recorded backward pass runs. The same
 * gradients as `lossAndGrads` with the checkpointing runner of the same segments. `hostBytes` is
 * the most any micro-batch kept in host memory.
 */
export async function offloadedLossAndGrads(
  model: TransformerModel<LabModelConfig>,
  microBatches: MicroBatch[],
  contextFor: (micro: number) => ForwardContext,
  runnerFor: (host: HostBoundaries) => StackRunner,
  lossScale: number | tf.Tensor = 1,
  meter?: MemoryMeter,
): Promise<LossAndGrads & { hostBytes: number }> {
  const sums = new GradientSums(model, microBatches, lossScale, meter);
  let hostBytes = 0;
  for (const [micro, batch] of microBatches.entries()) {
    const host = new HostBoundaries();
    try {
      const run = runnerFor(host);
      let recorded: RecordedForward | null = null;
      tf.tidy(() => {
        recorded = recordForward(sums.lossFunction(batch, micro, contextFor(micro), meter ? meter.runner(run) : run), sums.xs);
        return recorded.value;
      });
      const forward = recorded!;
      await host.offload();
      hostBytes = Math.max(hostBytes, host.hostBytes);
      meter?.sample('offloaded');
      const grads = tf.tidy(() => forward.backward(tf.onesLike(forward.value)).map((g, i) => g ?? tf.zerosLike(sums.xs[i]!)));
      sums.add({ value: forward.value as tf.Scalar, grads });
    } finally {
      host.dispose();
    }
  }
  return { ...sums.result(), hostBytes };
}

/**
 * The running sums of lossAndGrads: each micro-batch's summed loss divided by the target count
 * of all of them (times `lossScale`), its gradients added to the others'.
 */
class GradientSums {
  readonly xs: tf.Variable[];
  private readonly params;
  private readonly objective;
  private readonly total: number;
  private lossSum: tf.Scalar | null = null;
  private gradSums: tf.Tensor[] | null = null;
  /** Autocast's rounding of a weight's gradient, from the micro-batches' contexts. */
  private roundWeightGradient: ForwardContext['roundWeightGradient'];

  constructor(
    private readonly model: TransformerModel<LabModelConfig>,
    microBatches: MicroBatch[],
    private readonly lossScale: number | tf.Tensor,
    private readonly meter: MemoryMeter | undefined,
  ) {
    this.objective = objectiveFor(model.config);
    this.total = Math.max(1, microBatches.reduce((n, b) => n + this.objective.count(b), 0));
    this.params = model.list();
    this.xs = this.params.map((p) => p.variable);
  }

  /** The micro-batch's scaled loss as a function of the parameters (in `xs` order). */
  lossFunction(batch: MicroBatch, micro: number, ctx: ForwardContext, runner: StackRunner): (...ps: tf.Tensor[]) => tf.Scalar {
    const { meter, model, objective } = this;
    const tensors = objective.upload(batch);
    this.roundWeightGradient = ctx.roundWeightGradient;
    return (...ps) => {
      meter?.beginForward(micro);
      const byName = new Map(this.params.map((p, i) => [p.name, ps[i]!]));
      const plain = (name: string) => byName.get(name) ?? model.lookup(name);
      const lookup = meter ? meter.lookup(plain) : plain;
      const loss = objective.sumLoss(ctx, lookup, tensors, runner).mul(this.factor()) as tf.Scalar;
      meter?.endForward();
      return meter ? meter.watchLoss(loss) : loss;
    };
  }

  /**
   * What a micro-batch's summed loss is multiplied by. A scale on the device (fp16 loss scaling
   * decided there) multiplies as the number would: fround(1/total)·scale equals
   * fround(scale/total) for the powers of two scales are.
   */
  private factor(): number | tf.Tensor {
    return typeof this.lossScale === 'number' ? this.lossScale / this.total : this.lossScale.mul(1 / this.total);
  }

  /** Adds a micro-batch's loss and gradients (and frees them). */
  add({ value, grads }: { value: tf.Scalar; grads: tf.Tensor[] }): void {
    this.meter?.sample('backward-end');
    const { lossSum, gradSums } = this;
    const next = tf.tidy(() => ({
      loss: (lossSum ? lossSum.add(value) : value.clone()) as tf.Scalar,
      grads: gradSums ? gradSums.map((g, i) => g.add(grads[i]!)) : grads.map((g) => g.clone()),
    }));
    this.meter?.sample('accumulated');
    tf.dispose([value, ...grads, ...(lossSum ? [lossSum] : []), ...(gradSums ?? [])]);
    this.lossSum = next.loss;
    this.gradSums = next.grads;
  }

  result(): LossAndGrads {
    const loss = tf.tidy(() => this.lossSum!.div(this.lossScale) as tf.Scalar);
    this.lossSum!.dispose();
    const sums = this.gradSums!;
    const round = this.roundWeightGradient;
    if (round) {
      // Autocast's half weight gradients, rounded once from the sum over every micro-batch.
      this.model.specs.forEach((spec, i) => {
        if (!spec.matMulWeight) return;
        const rounded = round(sums[i]!);
        sums[i]!.dispose();
        sums[i] = rounded;
      });
    }
    return { loss, grads: new Map(this.params.map((p, i) => [p.name, sums[i]!])) };
  }
}
