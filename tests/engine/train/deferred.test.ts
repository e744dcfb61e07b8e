import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createContext } from '../../../src/engine/model/context';
import { TransformerModel } from '../../../src/engine/model/model';
import { parseRunConfig, type RunConfig } from '../../../src/engine/runConfig';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { Trainer } from '../../../src/engine/train/trainer';
import { DivergedError, type StepMetrics } from '../../../src/engine/train/events';
import { parseWeightsText } from '../../../src/engine/weights/format';
import { stringifyWeights } from '../../../src/engine/weights/stringify';
import { toBatch } from '../../../src/tasks/batches';
import { createDataset } from '../../../src/tasks/dataset';
import type { ExampleTaskConfig } from '../../../src/tasks/types';
import { webgpuAdapter } from '../../../src/cli/nodeBackend';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';

/**
 * The trainer's device-side decisions, on every backend: losses read back every N steps give
 * the very run that reading every step gives (skips, loss scales, weights, optimizer state),
 * accumulation equals one big batch, a non-finite loss stops the run with the last good
 * weights, and WebGPU's compile-only warm-up changes nothing.
 */
const tiny = (train: Record<string, unknown> = {}, model: Record<string, unknown> = {}): RunConfig & { task: ExampleTaskConfig } =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10, dropout: 0.1, ...model },
    task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 5 },
    train: { batchSize: 8, steps: 8, seed: 3, optimizer: { name: 'adamw', lr: 0.01 }, validationSize: 16, ...train },
  }) as RunConfig & { task: ExampleTaskConfig };

const evalContext = () => createContext({ dropoutRate: 0, dropoutSeed: null });

afterEach(() => vi.restoreAllMocks());

/** SwiftShader runs a step of these tiny models in seconds (more on a loaded machine). */
const SLOW = 300_000;

describe.each(NODE_BACKENDS)('steps decided on the device, on %s', (backend) => {
  it('readbackEvery 4 gives the very run of readbackEvery 1: skips, scales, losses, weights, optimizer and scaler state', async () => {
    await onBackend(backend);
    // A scale that overflows for the first few steps: skipped and landed steps share a window,
    // including the optimizer's lazy first step.
    const train = { precision: 'fp16', lossScaler: { initScale: 2 ** 22, growthInterval: 3 }, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.5 } };
    const runOf = async (readbackEvery: number) => {
      const trainer = Trainer.create(tiny({ ...train, readbackEvery }));
      const metrics: StepMetrics[] = [];
      for (let i = 0; i < 8; i += readbackEvery) metrics.push(...(await trainer.trainSteps(readbackEvery)));
      const document = await trainer.weightsDocument('base64');
      // The run config it carries differs in readbackEvery alone; everything else must not.
      (document as unknown as { training: { run: RunConfig } }).training.run.train.readbackEvery = 0;
      const doc = stringifyWeights(document);
      trainer.dispose();
      return { metrics, doc };
    };
    const [each, four] = [await runOf(1), await runOf(4)];
    const skipped = each.metrics.map((m) => m.skipped);
    console.log(`[${backend}] skipped: ${skipped.map((s) => (s ? 'S' : '.')).join('')}, scales ${each.metrics.map((m) => Math.log2(m.lossScale!)).join(' ')}`);
    expect(skipped.some((s) => s) && skipped.some((s) => !s)).toBe(true);
    const strip = (m: StepMetrics) => ({ step: m.step, loss: m.loss, gradNorm: m.gradNorm, lossScale: m.lossScale, skipped: m.skipped, lr: m.lr });
    expect(four.metrics.map(strip)).toEqual(each.metrics.map(strip));
    expect(four.doc).toBe(each.doc);
  }, SLOW);

  it('the steps of a read-back window share its whole wall time: queueing, computing and the read', async () => {
    await onBackend(backend);
    const trainer = Trainer.create(tiny({ readbackEvery: 4 }));
    await trainer.trainStep(); // kernels built, and on WebGPU compiled
    const started = performance.now();
    const metrics = await trainer.trainSteps(4);
    const wall = performance.now() - started;
    const shared = metrics.reduce((n, m) => n + m.stepMs, 0);
    // cpu and wasm compute while a step is queued: a clock started at the first push saw none of it.
    expect(shared).toBeLessThanOrEqual(wall);
    expect(shared).toBeGreaterThan(0.9 * wall);
    trainer.dispose();
  }, SLOW);

  it('a run resumed from its file continues its optimizer state (SGD momentum, which counts no steps) exactly', async () => {
    await onBackend(backend);
    const run = tiny({ readbackEvery: 4, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true } }, { dropout: 0 });
    const straight = Trainer.create(run);
    await straight.trainSteps(2);
    const saved = parseWeightsText(stringifyWeights(await straight.weightsDocument('base64')));
    const resumed = Trainer.create(run, { init: saved.tensors, optimizerState: saved.extra.optimizerState, startStep: 2 });
    const [a, b] = [await straight.trainSteps(3), await resumed.trainSteps(3)];
    expect(b.map((m) => m.loss)).toEqual(a.map((m) => m.loss));
    const [wa, wb] = [await straight.model.values(), await resumed.model.values()];
    for (const [name, t] of wa) expect(Array.from(wb.get(name)!.values), name).toEqual(Array.from(t.values));
    straight.dispose();
    resumed.dispose();
  }, SLOW);

  it('a non-finite loss stops the run at its step: nothing from it on lands, the weights are the last good ones', async () => {
    await onBackend(backend);
    const run = tiny({ readbackEvery: 4 }, { dropout: 0 });
    const init = new Map([...(await TransformerModel.initialise(run.model, 1).values())]);
    const [name, first] = [...init][0]!;
    const poisoned = new Map(init);
    poisoned.set(name, { ...first, values: Float32Array.from(first.values, (v, i) => (i === 0 ? Infinity : v)) });
    const trainer = Trainer.create(run, { init: poisoned });
    await expect(trainer.trainSteps(4)).rejects.toThrow(DivergedError);
    expect(trainer.step).toBe(0);
    expect(trainer.optimizer.stepCount).toBe(0);
    const after = await trainer.model.values();
    for (const [n, t] of poisoned) expect(Array.from(after.get(n)!.values), n).toEqual(Array.from(t.values));
    trainer.dispose();
  }, SLOW);

  it('k micro-batches give the gradient of one batch holding all their rows', async () => {
    await onBackend(backend);
    const run = tiny({}, { dropout: 0 });
    const model = TransformerModel.initialise(run.model, 1);
    const examples = createDataset(run.task, 5, { validationSize: 4 }).nextTrain(12).sort((a, b) => a.input.length - b.input.length);
    const whole = lossAndGrads(model, [toBatch(examples, 'encoder-decoder')], evalContext);
    const parts = [examples.slice(0, 4), examples.slice(4, 8), examples.slice(8)].map((e) => toBatch(e, 'encoder-decoder'));
    const accumulated = lossAndGrads(model, parts, evalContext);
    expect(Math.abs((await accumulated.loss.data())[0]! - (await whole.loss.data())[0]!)).toBeLessThan(1e-5);
    const diffs = tf.tidy(() => tf.stack([...whole.grads].map(([n, g]) => g.sub(accumulated.grads.get(n)!).abs().max())));
    expect(Math.max(...(await diffs.data()))).toBeLessThan(1e-5);
    tf.dispose([diffs, whole.loss, accumulated.loss, ...whole.grads.values(), ...accumulated.grads.values()]);
    model.dispose();
  }, SLOW);

  it('reads back once per window and never with dataSync', async () => {
    await onBackend(backend);
    const trainer = Trainer.create(tiny({ readbackEvery: 3 }));
    await trainer.trainStep(); // compiles, and the warm-up where there is one
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    const metrics = await trainer.trainSteps(3);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(data).toHaveBeenCalledTimes(1);
    expect(dataSync).not.toHaveBeenCalled();
    trainer.dispose();
  }, SLOW);
});

describe('the compile-only warm-up on WebGPU', () => {
  it('compiles the step and changes nothing: no step lands, the data stream and the first losses are those of a run without it', async () => {
    await onBackend('webgpu');
    const run = tiny({ precision: 'fp16', lossScaler: { initScale: 1024 } }, { dropout: 0 });
    const warmed = Trainer.create(run, { compileWarmUp: true });
    const plain = Trainer.create(run, { compileWarmUp: false });
    const before = await warmed.model.values();
    const ms = await warmed.warmUp();
    expect(ms).toBeGreaterThan(0);
    expect(warmed.warmUpMs).toBe(ms);
    expect(warmed.optimizer.stepCount).toBe(0);
    expect(warmed.step).toBe(0);
    const after = await warmed.model.values();
    for (const [n, t] of before) expect(Array.from(after.get(n)!.values), n).toEqual(Array.from(t.values));
    const [a, b] = [await warmed.trainSteps(2), await plain.trainSteps(2)];
    expect(a.map((m) => [m.loss, m.lossScale, m.skipped])).toEqual(b.map((m) => [m.loss, m.lossScale, m.skipped]));
    expect(plain.warmUpMs).toBeNull();
    expect(stringifyWeights(await warmed.weightsDocument())).toBe(stringifyWeights(await plain.weightsDocument()));
    warmed.dispose();
    plain.dispose();
    // Left to its default, it runs except on a CPU fallback adapter (SwiftShader), where it measured slower.
    const auto = Trainer.create(run);
    await auto.warmUp();
    expect(auto.warmUpMs === null).toBe(webgpuAdapter()!.isFallbackAdapter === true);
    auto.dispose();
  }, SLOW);
});
