import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runnerFor } from '../../../src/engine/autograd/checkpoint';
import { longestBatch, measureTrainingStep } from '../../../src/engine/bench/measure';
import { MEMORY_PARTS, type MemoryBreakdown } from '../../../src/engine/memory/breakdown';
import { MemoryMeter, stepMeter } from '../../../src/engine/memory/meter';
import { createContext } from '../../../src/engine/model/context';
import { TransformerModel } from '../../../src/engine/model/model';
import { parameterCount } from '../../../src/engine/params';
import { precisionPolicy } from '../../../src/engine/precision/policy';
import { parseRunConfig, type RunConfig } from '../../../src/engine/runConfig';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { Trainer } from '../../../src/engine/train/trainer';
import { onBackend } from '../../helpers/backends';

const tiny = (train: Record<string, unknown> = {}, model: Record<string, unknown> = {}): RunConfig =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nEncoderLayers: 2, nDecoderLayers: 2, dFF: 32, maxLen: 10, dropout: 0.1, ...model },
    task: { name: 'reverse', minLength: 1, maxLength: 6, symbols: 5 },
    train: { batchSize: 8, steps: 4, seed: 3, optimizer: { name: 'adam', lr: 0.01 }, validationSize: 16, ...train },
  });

/**
 * The settings every accounting test runs: plain, recomputed, half precision, accumulation (with
 * the model's changes: segments of 2 recompute something only in stacks of 3 layers or more).
 */
const VARIANTS: [string, Record<string, unknown>, Record<string, unknown>?][] = [
  ['fp32', {}],
  ["'layers'", { checkpointing: 'layers' }],
  ['fp16', { precision: 'fp16', lossScaler: { initScale: 256 } }],
  ['bf16 with segments of 2 over 3 + 3 layers', { precision: 'bf16', checkpointing: 2 }, { nEncoderLayers: 3, nDecoderLayers: 3 }],
  ['accumulation k=4', { gradAccumSteps: 4 }],
];

const MiB = 2 ** 20;
const sumOfParts = (m: MemoryBreakdown) => MEMORY_PARTS.reduce((n, part) => n + m[part], 0);

beforeAll(() => onBackend('wasm'));
afterEach(() => vi.restoreAllMocks());

describe('the breakdown after every step', () => {
  it.each(VARIANTS)('%s: every field present, parameters and optimizer state exact, the parts add up to the peak', async (_name, train, model) => {
    const run = tiny(train, model);
    const before = tf.memory().numBytes;
    const trainer = Trainer.create(run);
    try {
      const parameters = 4 * parameterCount(run.model);
      for (let step = 0; step < 3; step++) {
        const { memory } = await trainer.trainStep();
        expect(memory, `step ${step}`).toBeDefined();
        const m = memory!;
        for (const key of [...MEMORY_PARTS, 'peak', 'backendInUse'] as const) {
          expect(Number.isFinite(m[key]) && m[key] >= 0, `${key} = ${m[key]}`).toBe(true);
        }
        expect(m.backendAllocated).toBeUndefined(); // WebGPU only
        expect(m.parameters).toBe(parameters);
        expect(m.parameters).toBe(trainer.model.parameterBytes());
        expect(m.gradients).toBe(parameters);
        expect(m.optimizerState).toBe(trainer.optimizer.stateBytes());
        if (trainer.optimizer.stepCount > 0) expect(m.optimizerState).toBe(2 * parameters); // Adam: two slots
        expect(m.savedActivations).toBeGreaterThan(0);
        if (run.train.precision === 'fp32') expect(m.halfCopies).toBe(0);
        else expect(m.halfCopies).toBeGreaterThan(0);
        // The peak counts every live tensor; the known parts fit under it (in the first step the
        // optimizer state only exists after the peak).
        const known = sumOfParts(m) - m.other;
        const slack = step === 0 ? m.optimizerState : 0;
        expect(known).toBeLessThanOrEqual(m.peak - before + slack + before);
        expect(sumOfParts(m)).toBe(Math.max(m.peak, known));
        // After the step: the parameters, the optimizer state and the step state on the device
        // (loss scale, stop flag), and whatever lived before.
        expect(m.backendInUse).toBe(tf.memory().numBytes);
        expect(m.backendInUse - before).toBe(m.parameters + m.optimizerState + trainer.deviceStateBytes);
      }
    } finally {
      trainer.dispose();
    }
  });

  it('half copies are the packed boundaries, exactly: one [rows, T, dModel] per recomputed segment, two halves per int32', async () => {
    // 2 + 2 layers, one segment each, rows of the longest sequence: src 7, tgt 7 positions; each
    // stack's last layer keeps its tape instead of a boundary.
    const run = tiny({ precision: 'bf16', checkpointing: 'layers' });
    const trainer = Trainer.create(run, { fixedBatch: longestBatch(run, 8) });
    try {
      const { memory } = await trainer.trainStep();
      expect(memory!.halfCopies).toBe((1 + 1) * ((8 * 7 * 16) / 2) * 4);
      // 'none' under a half precision recomputes per layer too: the same boundaries.
      const none = Trainer.create(tiny({ precision: 'bf16' }), { fixedBatch: longestBatch(run, 8) });
      expect((await none.trainStep()).memory!.halfCopies).toBe(memory!.halfCopies);
      none.dispose();
    } finally {
      trainer.dispose();
    }
  });
});

describe('sampled peak against tf.profile', () => {
  it.each(VARIANTS)('%s: the sampled peak is within 3% below tf.profile’s peakBytes', async (name, train, model) => {
    const run = tiny(train, { dModel: 32, nHeads: 4, dFF: 64, ...model });
    const { peak, metered } = await measureTrainingStep(run, longestBatch(run, run.train.batchSize));
    const ratio = metered / peak;
    console.log(`[accounting] ${name}: sampled ${(metered / MiB).toFixed(3)} MiB, tf.profile ${(peak / MiB).toFixed(3)} MiB, ratio ${ratio.toFixed(4)}`);
    expect(ratio).toBeGreaterThanOrEqual(0.97);
    expect(ratio).toBeLessThanOrEqual(1);
  });
});

describe('the probes', () => {
  it.each([
    ['plain', 'none'],
    ['recomputed', 'layers'],
  ] as const)('%s: leave no tensor behind and change no gradient', async (_name, checkpointing) => {
    const run = tiny({}, { dropout: 0.1 });
    const model = TransformerModel.initialise(run.model, 2);
    const batch = longestBatch(run, 4);
    const contextFor = (micro: number) => createContext({ dropoutRate: 0.1, dropoutSeed: { seed: 1, step: 0, firstRow: micro * batch.tgtOut.length } });
    const read = async (meter?: MemoryMeter) => {
      const before = tf.memory().numTensors;
      const { loss, grads } = lossAndGrads(model, [batch, batch], contextFor, runnerFor(precisionPolicy({ checkpointing, precision: 'fp32' })), 1, meter);
      const values = [await loss.data(), ...(await Promise.all([...grads.values()].map((g) => g.data())))];
      tf.dispose([loss, ...grads.values()]);
      expect(tf.memory().numTensors, 'tensors left').toBe(before);
      return values;
    };
    try {
      const plain = await read();
      const meter = stepMeter(run.model, precisionPolicy({ checkpointing, precision: 'fp32' }), [batch, batch], true);
      const metered = await read(meter);
      metered.forEach((v, i) => expect(Array.from(v), `tensor ${i}`).toEqual(Array.from(plain[i]!)));
      // Both micro-batches were sampled through their forward and backward passes.
      const labels = meter.trace!.map((t) => t.label);
      expect(labels.filter((l) => l === 'backward-start')).toHaveLength(2);
      expect(labels.filter((l) => l === 'backward:src_embed.weight')).toHaveLength(2);
      expect(labels.filter((l) => l === 'backward:transformer.encoder.layers.0')).toHaveLength(2);
      expect(labels.filter((l) => l === 'backward:transformer.decoder.layers.1')).toHaveLength(2);
    } finally {
      model.dispose();
    }
  });

  it('a training step with accounting leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const trainer = Trainer.create(tiny({ precision: 'fp16', checkpointing: 'layers', gradAccumSteps: 2 }));
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('read nothing from the device: one data() per step (loss, norm and overflow flag together), no dataSync', async () => {
    const trainer = Trainer.create(tiny({ precision: 'fp16', checkpointing: 'layers', gradAccumSteps: 2, clipGradNorm: 1 }));
    try {
      await trainer.trainStep(); // the first step compiles nothing here, but keep it out of the count anyway
      const data = vi.spyOn(tf.Tensor.prototype, 'data');
      const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
      const arraySync = vi.spyOn(tf.Tensor.prototype, 'arraySync');
      const array = vi.spyOn(tf.Tensor.prototype, 'array');
      for (let i = 0; i < 3; i++) {
        const { memory } = await trainer.trainStep();
        expect(memory!.peak).toBeGreaterThan(0);
      }
      expect(data).toHaveBeenCalledTimes(3);
      expect(dataSync).not.toHaveBeenCalled();
      expect(arraySync).not.toHaveBeenCalled();
      expect(array).not.toHaveBeenCalled();
    } finally {
      trainer.dispose();
    }
  });
});
