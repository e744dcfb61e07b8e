import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import type { SeriesBatch } from '../forecaster/batch';
import { forecast, squaredErrorSum } from '../forecaster/forward';
import { batchTensors } from '../model/batchTensors';
import type { ForwardContext } from '../model/context';
import { forwardLogits, type StackRunner, type TokenTensors } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { tokenLoss } from '../model/loss';
import { isForecaster, type LabModelConfig } from '../modelKind';
import { PAD, type Batch } from '../../tasks/types';

/** A micro-batch of either kind of model: token rows, or series windows. */
export type MicroBatch = Batch | SeriesBatch;

/**
 * What a model's training minimises, as a sum over a micro-batch and the count it averages
 * over, so that k micro-batches give the update of one batch holding all their rows: the token
 * Transformer's cross-entropy over non-PAD targets, the forecaster's squared error over every
 * predicted value.
 */
export interface Objective {
  count(batch: MicroBatch): number;
  /** A micro-batch's tensors, made before the gradient's function (they are inputs, not activations). */
  upload(batch: MicroBatch): ObjectiveTensors;
  /** The summed loss of a micro-batch (fp32); call inside a gradient's function. */
  sumLoss(ctx: ForwardContext, p: ParamLookup, tensors: ObjectiveTensors, run: StackRunner): tf.Scalar;
}

/** A micro-batch on the device: the model's inputs and the targets. */
export type ObjectiveTensors = { tokens: TokenTensors; targets: tf.Tensor2D } | { x: tf.Tensor3D; y: tf.Tensor3D };

export function targetCount(batch: Batch): number {
  let n = 0;
  for (const row of batch.tgtOut) for (const t of row) if (t !== PAD) n++;
  return n;
}

const tokenObjective = (cfg: ModelConfig): Objective => ({
  count: (b) => targetCount(b as Batch),
  upload: (b) => batchTensors(b as Batch),
  sumLoss(ctx, p, t, run) {
    const { tokens, targets } = t as { tokens: TokenTensors; targets: tf.Tensor2D };
    return tokenLoss(forwardLogits(ctx, p, cfg, tokens, run), targets).sum;
  },
});

/** Where each micro-batch's rows start in the optimizer batch they split (their dropout rows: model/context.ts). */
export function firstRows(microBatches: readonly MicroBatch[]): number[] {
  let row = 0;
  return microBatches.map((b) => {
    const first = row;
    row += 'rows' in b ? b.rows : b.tgtOut.length;
    return first;
  });
}

/** The series windows as [rows, steps, N] tensors. */
export function seriesTensors(b: SeriesBatch): { x: tf.Tensor3D; y: tf.Tensor3D } {
  return {
    x: tf.tensor3d(b.x, [b.rows, b.lookback, b.nVariates]),
    y: tf.tensor3d(b.y, [b.rows, b.horizon, b.nVariates]),
  };
}

/** The objective of a model's kind: the one place training tells the kinds apart. */
export function objectiveFor(cfg: LabModelConfig): Objective {
  if (!isForecaster(cfg)) return tokenObjective(cfg);
  return {
    count: (b) => {
      const s = b as SeriesBatch;
      return s.rows * s.horizon * s.nVariates;
    },
    upload: (b) => seriesTensors(b as SeriesBatch),
    sumLoss(ctx, p, t, run) {
      const { x, y } = t as { x: tf.Tensor3D; y: tf.Tensor3D };
      return squaredErrorSum(forecast(ctx, p, cfg, x, run), y);
    },
  };
}
