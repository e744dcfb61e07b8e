import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchTensors } from '../../../src/engine/model/batchTensors';
import { createContext } from '../../../src/engine/model/context';
import { forwardLogits } from '../../../src/engine/model/forward';
import { TransformerModel } from '../../../src/engine/model/model';
import { parseRunConfig, type RunConfig } from '../../../src/engine/runConfig';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { Trainer } from '../../../src/engine/train/trainer';
import { parseWeightsText } from '../../../src/engine/weights/format';
import { stringifyWeights } from '../../../src/engine/weights/stringify';
import { toBatch } from '../../../src/tasks/batches';
import { createDataset } from '../../../src/tasks/dataset';
import { parseTaskConfig } from '../../../src/tasks/registry';
import { onBackend } from '../../helpers/backends';
import { transformerConfig } from '../../../src/engine/modelKind';

const tiny = (train: Record<string, unknown> = {}, model: Record<string, unknown> = {}): RunConfig =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10, dropout: 0.1, ...model },
    task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 5 },
    train: { batchSize: 8, steps: 6, seed: 3, optimizer: { name: 'adamw', lr: 0.01 }, validationSize: 16, ...train },
  });

const evalContext = () => createContext({ dropoutRate: 0, dropoutSeed: null });

beforeAll(() => onBackend('cpu'));

describe('weights export and import', () => {
  it('exported weights load into a model that gives bit-identical logits', async () => {
    const run = tiny();
    const trainer = Trainer.create(run);
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    const batch = toBatch(trainer.validationSet.slice(0, 8), 'encoder-decoder');
    const logitsOf = (model: TransformerModel) =>
      tf.tidy(() => forwardLogits(evalContext(), model.lookup, model.config, batchTensors(batch).tokens));
    for (const encoding of ['data', 'base64'] as const) {
      const parsed = parseWeightsText(stringifyWeights(await trainer.weightsDocument(encoding)));
      const copy = TransformerModel.fromValues(transformerConfig(parsed.config), parsed.tensors);
      const [a, b] = [logitsOf(trainer.model), logitsOf(copy)];
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([a, b]);
      copy.dispose();
    }
    trainer.dispose();
  });
});

describe('resuming from a saved file', () => {
  it('continues exactly as an uninterrupted run: same data, same optimizer state, same schedule', async () => {
    const run = tiny({ schedule: { name: 'cosine', warmupSteps: 2 } });
    const straight = Trainer.create(run);
    const stopped = Trainer.create(run);
    for (let i = 0; i < 3; i++) {
      await straight.trainStep();
      await stopped.trainStep();
    }
    const saved = parseWeightsText(stringifyWeights(await stopped.weightsDocument('base64')));
    stopped.dispose();
    const resumed = Trainer.create(run, { init: saved.tensors, optimizerState: saved.extra.optimizerState });
    expect(resumed.step).toBe(3);
    for (let i = 0; i < 2; i++) {
      const [a, b] = [await straight.trainStep(), await resumed.trainStep()];
      expect(b.loss).toBe(a.loss);
      expect(b.lr).toBe(a.lr);
    }
    const [wa, wb] = [await straight.model.values(), await resumed.model.values()];
    for (const [name, t] of wa) expect(Array.from(wb.get(name)!.values), name).toEqual(Array.from(t.values));
    straight.dispose();
    resumed.dispose();
  });
});

describe('gradient accumulation', () => {
  it('k micro-batches give the gradient of one batch holding all their rows, padding included', () => {
    const run = tiny({}, { dropout: 0 });
    const model = TransformerModel.initialise(run.model, 1);
    // Sorted by length, so that each micro-batch is padded to its own, different width.
    const examples = createDataset(parseTaskConfig({ name: 'reverse', minLength: 1, maxLength: 4, symbols: 5 }), 5, { validationSize: 4 }).nextTrain(12).sort((a, b) => a.input.length - b.input.length);
    const whole = lossAndGrads(model, [toBatch(examples, 'encoder-decoder')], evalContext);
    const parts = [examples.slice(0, 4), examples.slice(4, 8), examples.slice(8)].map((e) => toBatch(e, 'encoder-decoder'));
    expect(new Set(parts.map((p) => p.tgtOut[0]!.length)).size).toBeGreaterThan(1);
    const accumulated = lossAndGrads(model, parts, evalContext);
    expect(Math.abs(accumulated.loss.dataSync()[0]! - whole.loss.dataSync()[0]!)).toBeLessThan(1e-5);
    for (const [name, g] of whole.grads) {
      const diff = g.sub(accumulated.grads.get(name)!).abs().max().dataSync()[0]!;
      expect(diff, name).toBeLessThan(1e-5);
    }
    tf.dispose([whole.loss, accumulated.loss, ...whole.grads.values(), ...accumulated.grads.values()]);
    model.dispose();
  });
});

describe('dropout', () => {
  it('is reproducible from the seed and changes with it', async () => {
    const losses = async (seed: number) => {
      const trainer = Trainer.create(tiny({ seed }));
      const out = [(await trainer.trainStep()).loss, (await trainer.trainStep()).loss];
      trainer.dispose();
      return out;
    };
    const [a, b, c] = [await losses(3), await losses(3), await losses(4)];
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});

describe('no leaks', () => {
  it('a training step and an evaluation leave no tensors behind', async () => {
    const trainer = Trainer.create(tiny());
    await trainer.trainStep();
    await trainer.evaluate();
    const before = tf.memory().numTensors;
    await trainer.trainStep();
    await trainer.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });
});

describe('train.checkpointing', () => {
  it('recomputed segments train exactly like plain ones, dropout included', async () => {
    const lossesWith = async (checkpointing: 'none' | 'layers' | number) => {
      const trainer = Trainer.create(tiny({ checkpointing }, { nEncoderLayers: 2, nDecoderLayers: 2 }));
      const out = [];
      for (let i = 0; i < 3; i++) out.push((await trainer.trainStep()).loss);
      trainer.dispose();
      return out;
    };
    const plain = await lossesWith('none');
    for (const mode of ['layers', 2] as const) {
      const recomputed = await lossesWith(mode);
      recomputed.forEach((loss, i) => expect(Math.abs(loss - plain[i]!), `${mode} step ${i}`).toBeLessThan(1e-6));
    }
  });
});

describe('train.precision with dynamic loss scaling', () => {
  it('fp16 trains, reports lossScale and skipped, and an overflow skips the step leaving everything untouched', async () => {
    const run = tiny({ precision: 'fp16', lossScaler: { initScale: 2 ** 28, growthInterval: 2 } });
    const trainer = Trainer.create(run);
    const before = await trainer.model.values();
    const first = await trainer.trainStep();
    expect(first).toMatchObject({ skipped: true, lossScale: 2 ** 28 });
    expect(Number.isFinite(first.loss)).toBe(true);
    const after = await trainer.model.values();
    for (const [name, t] of before) expect(Array.from(after.get(name)!.values), name).toEqual(Array.from(t.values));
    expect(trainer.optimizer.stepCount).toBe(0);
    const seen = [first];
    for (let i = 0; i < 40 && seen.at(-1)!.skipped; i++) seen.push(await trainer.trainStep());
    const taken = seen.at(-1)!;
    expect(taken.skipped).toBe(false);
    expect(taken.lossScale).toBe(2 ** (28 - (seen.length - 1)));
    expect(trainer.optimizer.stepCount).toBe(1);
    // growthInterval 2: the clean step after the first taken one completes the interval.
    const next = await trainer.trainStep();
    const grown = await trainer.trainStep();
    expect([next.lossScale, grown.lossScale]).toEqual([taken.lossScale, taken.lossScale! * 2]);
    trainer.dispose();
  });

  it.each(['fp16', 'bf16'] as const)('%s learns about as well as fp32 over a few steps', async (precision) => {
    const lossesOf = async (p: 'fp32' | 'fp16' | 'bf16') => {
      const trainer = Trainer.create(tiny({ precision: p, steps: 12 }, { dropout: 0 }));
      const out = [];
      for (let i = 0; i < 12; i++) out.push((await trainer.trainStep()).loss);
      trainer.dispose();
      return out;
    };
    const [full, half] = [await lossesOf('fp32'), await lossesOf(precision)];
    expect(half.at(-1)!).toBeLessThan(half[0]! * 0.9);
    half.forEach((l, i) => expect(Math.abs(l - full[i]!), `step ${i}`).toBeLessThan(precision === 'fp16' ? 0.02 : 0.1));
  });
});
