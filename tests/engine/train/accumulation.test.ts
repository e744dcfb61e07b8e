import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runnerFor } from '../../../src/engine/autograd/checkpoint';
import { createContext } from '../../../src/engine/model/context';
import { TransformerModel } from '../../../src/engine/model/model';
import { precisionPolicy } from '../../../src/engine/precision/policy';
import { isForecastRun, parseLabRunConfig, parseRunConfig, type LabRunConfig } from '../../../src/engine/runConfig';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { Trainer } from '../../../src/engine/train/trainer';
import { splitBatchRows } from '../../../src/engine/weights/batch';
import { fileSeries } from '../../../src/cli/series';
import { toBatch } from '../../../src/tasks/batches';
import { createDataset } from '../../../src/tasks/dataset';
import { NODE_BACKENDS, onBackend, onSwiftShader, timeLimit } from '../../helpers/backends';

/*
 * Gradient accumulation with dropout on: every row draws its masks by its index in the whole
 * optimizer batch, so k micro-batches give the update of one batch holding all their rows, for
 * every k that divides the batch, padded to their own widths, recomputed or not, in half precision too.
 *
 * Under fp32 three steps are compared. Under fp16 and bf16 the first update is (its loss, and the
 * weights after it): the micro-batches' fp32 weight gradients are summed in another order than one
 * batch's matmul sums them, about 1e-7 apart, and now and then that moves a sum across a rounding
 * boundary of the half format; from then on the runs are a half-format unit apart in that weight,
 * which half activations carry into later losses (about 1e-4 after three fp16 steps on wasm at k = 8).
 */

const series = fileSeries();
const stepsOf = (precision: 'fp32' | 'fp16' | 'bf16') => (precision === 'fp32' ? 3 : 1);
const KS = [2, 4, 8];
const TOLERANCE = 1e-5;

const tokenRun = (train: Record<string, unknown>): LabRunConfig =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nEncoderLayers: 2, nDecoderLayers: 2, dFF: 32, maxLen: 10, dropout: 0.1 },
    task: { name: 'reverse', minLength: 1, maxLength: 7, symbols: 6 },
    train: { batchSize: 8, seed: 4, validationSize: 8, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 }, ...train },
  });

const forecastRun = (train: Record<string, unknown>): LabRunConfig => {
  const run = parseLabRunConfig({
    model: { kind: 'forecaster', dModel: 16, nHeads: 2, nLayers: 2, dFF: 32, dropout: 0.1 },
    task: { name: 'forecast', dataset: 'seattle-weather', lookback: 24, horizon: 7 },
    train: { batchSize: 8, seed: 4, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 }, ...train },
  }, series);
  if (!isForecastRun(run)) throw new Error('not a forecast run');
  return run;
};

/** Losses of the run's steps and the weights after them. */
async function trajectory(run: LabRunConfig): Promise<{ losses: number[]; weights: Map<string, Float32Array> }> {
  const trainer = Trainer.create(run, { series });
  try {
    const losses: number[] = [];
    for (let i = 0; i < run.train.steps; i++) losses.push((await trainer.trainStep()).loss);
    const values = await trainer.model.values();
    return { losses, weights: new Map([...values].map(([name, t]) => [name, Float32Array.from(t.values)])) };
  } finally {
    trainer.dispose();
  }
}

function worstDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [name, values] of a) {
    const other = b.get(name)!;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - other[i]!));
  }
  return worst;
}

// Under a half precision 'none' still recomputes per layer (precision/policy.ts); 2 puts both
// layers of a stack in one segment, so the final stack keeps its tape and the other recomputes.
const SETTINGS = [
  ['fp32', 'none'],
  ['fp32', 'layers'],
  ['fp16', 'none'],
  ['fp16', 2],
  ['bf16', 'none'],
  ['bf16', 2],
] as const;

/** The ks a setting checks: all of them, or on SwiftShader one each, in turn, so that every k is still met. */
const ksOf = (setting: number) => (onSwiftShader() ? [KS[setting % KS.length]!] : KS);
const numbered = SETTINGS.map(([precision, checkpointing], i) => [precision, checkpointing, i] as const);

describe.each(NODE_BACKENDS)('accumulation with dropout 0.1 equals one batch (%s)', (backend) => {
  it('the reverse task pads each micro-batch to its own longest row', () => {
    const run = tokenRun({});
    const examples = createDataset(run.task as never, 4, { validationSize: 8 }).nextTrain(8);
    const widths = (k: number) => new Set(Array.from({ length: k }, (_, i) => toBatch(examples.slice(i * (8 / k), (i + 1) * (8 / k)), 'encoder-decoder').tgtOut[0]!.length));
    expect(widths(8).size).toBeGreaterThan(1);
  });

  it.each(numbered)('token Transformer, %s, checkpointing %s: k ∈ {2, 4, 8} give the losses and weights of k = 1', async (precision, checkpointing, setting) => {
    await onBackend(backend);
    const whole = await trajectory(tokenRun({ precision, checkpointing, steps: stepsOf(precision) }));
    for (const k of ksOf(setting)) {
      const split = await trajectory(tokenRun({ precision, checkpointing, steps: stepsOf(precision), gradAccumSteps: k }));
      const lossGap = Math.max(...split.losses.map((l, i) => Math.abs(l - whole.losses[i]!)));
      const weightGap = worstDifference(split.weights, whole.weights);
      console.log(`[${backend}] ${precision} ${checkpointing} k=${k}: loss ${lossGap.toExponential(2)}, weights ${weightGap.toExponential(2)}`);
      expect(lossGap, `k = ${k}: loss`).toBeLessThan(TOLERANCE);
      expect(weightGap, `k = ${k}: weights`).toBeLessThan(TOLERANCE);
    }
  }, timeLimit(backend));

  it.each(numbered)('forecaster (rows are windows), %s, checkpointing %s: k ∈ {2, 4, 8} give the losses and weights of k = 1', async (precision, checkpointing, setting) => {
    await onBackend(backend);
    const whole = await trajectory(forecastRun({ precision, checkpointing, steps: stepsOf(precision) }));
    for (const k of ksOf(setting)) {
      const split = await trajectory(forecastRun({ precision, checkpointing, steps: stepsOf(precision), gradAccumSteps: k }));
      const lossGap = Math.max(...split.losses.map((l, i) => Math.abs(l - whole.losses[i]!)));
      const weightGap = worstDifference(split.weights, whole.weights);
      console.log(`[${backend}] forecaster ${precision} ${checkpointing} k=${k}: loss ${lossGap.toExponential(2)}, weights ${weightGap.toExponential(2)}`);
      expect(lossGap, `k = ${k}: loss`).toBeLessThan(TOLERANCE);
      expect(weightGap, `k = ${k}: weights`).toBeLessThan(TOLERANCE);
    }
  }, timeLimit(backend));

  it('masks drawn per micro-batch (each starting from row 0) would be caught: the gradients then differ', async () => {
    await onBackend(backend);
    const run = tokenRun({});
    const model = TransformerModel.initialise(run.model, 1);
    const examples = createDataset(run.task as never, 4, { validationSize: 8 }).nextTrain(8);
    const batch = toBatch(examples, 'encoder-decoder');
    const perMicroBatch = () => createContext({ dropoutRate: 0.1, dropoutSeed: { seed: 4, step: 0, firstRow: 0 } });
    const runner = runnerFor(precisionPolicy({ precision: 'fp32', checkpointing: 'none' }));
    const read = async (r: { loss: tf.Scalar; grads: Map<string, tf.Tensor> }) => {
      const grads = new Map<string, Float32Array>();
      for (const [name, g] of r.grads) grads.set(name, (await g.data()) as Float32Array);
      tf.dispose([r.loss, ...r.grads.values()]);
      return grads;
    };
    try {
      const whole = await read(lossAndGrads(model, [batch], perMicroBatch, runner));
      const split = await read(lossAndGrads(model, splitBatchRows(batch, 4), perMicroBatch, runner));
      expect(worstDifference(split, whole)).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  }, timeLimit(backend));
});
