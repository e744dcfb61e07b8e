import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runnerFor } from '../../../src/engine/autograd/checkpoint';
import { createContext } from '../../../src/engine/model/context';
import { TransformerModel } from '../../../src/engine/model/model';
import { precisionPolicy } from '../../../src/engine/precision/policy';
import { isForecastRun, parseLabRunConfig, type ForecastRunConfig } from '../../../src/engine/runConfig';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { Trainer } from '../../../src/engine/train/trainer';
import { parseWeightsText } from '../../../src/engine/weights/format';
import { stringifyWeights } from '../../../src/engine/weights/stringify';
import { fileSeries } from '../../../src/cli/series';
import { batchRows, windowBatch } from '../../../src/tasks/forecast/batches';
import { prepareForecastData } from '../../../src/tasks/forecast/series';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';
import { messageOf } from '../../helpers/errors';

const series = fileSeries();

function forecastRun(model: Record<string, unknown> = {}, train: Record<string, unknown> = {}): ForecastRunConfig {
  const run = parseLabRunConfig({
    model: { kind: 'forecaster', dModel: 16, nHeads: 2, nLayers: 3, dFF: 32, ...model },
    task: { name: 'forecast', dataset: 'seattle-weather', lookback: 24, horizon: 7 },
    train: { batchSize: 8, steps: 8, seed: 2, evalEvery: 4, optimizer: { name: 'adam', lr: 3e-3 }, ...train },
  }, series);
  if (!isForecastRun(run)) throw new Error('not a forecast run');
  return run;
}

const read = async (r: { loss: tf.Scalar; grads: Map<string, tf.Tensor> }) => {
  const out = { loss: (await r.loss.data())[0]!, grads: new Map<string, Float32Array>() };
  for (const [k, g] of r.grads) out.grads.set(k, (await g.data()) as Float32Array);
  tf.dispose([r.loss, ...r.grads.values()]);
  return out;
};
const worst = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
  Math.max(...[...a].map(([k, v]) => Math.max(...Array.from(v, (x, i) => Math.abs(x - b.get(k)![i]!)))));

describe.each(NODE_BACKENDS)('training a forecaster with the lab’s toggles (%s)', (backend) => {
  it('accumulation: k micro-batches give the gradient of one batch; recompute gives the plain gradients', async () => {
    await onBackend(backend);
    const run = forecastRun({ dropout: 0.1 });
    const data = prepareForecastData(run.task, series(run.task));
    const batch = windowBatch(data, data.windows.train.subarray(0, 8));
    const model = TransformerModel.initialise(run.model, 1);
    const ctx = () => createContext({ dropoutRate: 0, dropoutSeed: null });
    const whole = await read(lossAndGrads(model, [batch], ctx));
    const parts = await read(lossAndGrads(model, [batchRows(batch, 0, 4), batchRows(batch, 4, 4)], ctx));
    expect(Math.abs(whole.loss - parts.loss)).toBeLessThan(1e-5);
    expect(worst(whole.grads, parts.grads)).toBeLessThan(1e-5);
    // With dropout on, the recomputed segments redraw the same masks.
    const training = () => createContext({ dropoutRate: 0.1, dropoutSeed: { seed: 1, step: 0, firstRow: 0 } });
    const plain = await read(lossAndGrads(model, [batch], training));
    for (const checkpointing of ['layers', 2] as const) {
      const recomputed = await read(lossAndGrads(model, [batch], training, runnerFor(precisionPolicy({ checkpointing, precision: 'fp32' }))));
      expect(Math.abs(plain.loss - recomputed.loss)).toBeLessThan(1e-6);
      expect(worst(plain.grads, recomputed.grads)).toBeLessThan(1e-5);
    }
    model.dispose();
  });

  it.each(['fp16', 'bf16'] as const)('%s autocast trains (loss scaling under fp16) and reports half-size boundaries', async (precision) => {
    await onBackend(backend);
    const trainer = Trainer.create(forecastRun({}, { precision }), { series });
    try {
      const first = await trainer.trainStep();
      for (let i = 0; i < 5; i++) await trainer.trainStep();
      const last = await trainer.trainStep();
      expect(Number.isFinite(last.loss)).toBe(true);
      expect(first.memory!.halfCopies).toBeGreaterThan(0);
      if (precision === 'fp16') expect(first.lossScale).toBe(65536);
      else expect(first.lossScale).toBeUndefined();
    } finally {
      trainer.dispose();
    }
  });
});

describe('a forecaster’s weights and resume', () => {
  it('exports and imports the weights JSON exactly, and resuming from a saved run equals not stopping', async () => {
    await onBackend('wasm');
    const run = forecastRun({}, { optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, gradAccumSteps: 2 });
    const straight = Trainer.create(run, { series });
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push((await straight.trainStep()).loss);
    const end = await straight.weightsDocument('base64');
    straight.dispose();

    const first = Trainer.create(run, { series });
    for (let i = 0; i < 4; i++) await first.trainStep();
    const saved = parseWeightsText(stringifyWeights(await first.weightsDocument('data')));
    first.dispose();
    expect(saved.config).toEqual(run.model);
    const resumed = Trainer.create(run, { series, init: saved.tensors, optimizerState: saved.extra.optimizerState, startStep: 4 });
    const later: number[] = [];
    for (let i = 0; i < 4; i++) later.push((await resumed.trainStep()).loss);
    const again = await resumed.weightsDocument('base64');
    resumed.dispose();
    expect(later).toEqual(losses.slice(4));
    expect(again.tensors).toEqual(end.tensors);
  });

  it('carries no tokenizer, and a forecaster’s file with one is refused by field', async () => {
    await onBackend('wasm');
    const trainer = Trainer.create(forecastRun(), { series });
    const doc = await trainer.weightsDocument('base64');
    trainer.dispose();
    expect(doc).not.toHaveProperty('tokenizer');
    const withTokenizer = JSON.stringify({ ...doc, tokenizer: { type: 'char', chars: ['a', 'b'], merges: [] } });
    expect(messageOf(() => parseWeightsText(withTokenizer))).toBe('tokenizer: this is a forecaster ("kind": "forecaster"); a token Transformer is needed here');
  });
});
