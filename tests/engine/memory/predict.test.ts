import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { longestBatch, measureMicroBatch, measureTrainingStep } from '../../../src/engine/bench/measure';
import { parseModelConfig, type Architecture } from '../../../src/engine/config';
import { COUNTS } from '../../../src/engine/memory/coefficients';
import { featureKeys, quantitiesOf, quantitiesOfArchitecture, type Mode } from '../../../src/engine/memory/features';
import { longestMicroBatch, microBatchFigures, optimizerSlots, predictMemory } from '../../../src/engine/memory/predict';
import { microShape } from '../../../src/engine/memory/shapes';
import { TransformerModel } from '../../../src/engine/model/model';
import { createOptimizer } from '../../../src/engine/optim/optimizers';
import { segmentSize } from '../../../src/engine/precision/policy';
import { parseRunConfig, type RunConfig } from '../../../src/engine/runConfig';
import { toBatch } from '../../../src/tasks/batches';
import { onBackend } from '../../helpers/backends';
import { importGraph, ROOT, tfjsImports } from '../../helpers/imports';

const MiB = 2 ** 20;

beforeAll(() => onBackend('wasm'));

/** The shipped configs and the variants the issue names: fp16, 'layers' checkpointing, accumulation. */
const CONFIGS = readdirSync(path.join(ROOT, 'configs'))
  .filter((f) => f.endsWith('.json'))
  .sort();
const VARIANTS: [string, Record<string, unknown>][] = [
  ['as shipped', {}],
  ['fp16', { precision: 'fp16' }],
  ["'layers'", { checkpointing: 'layers' }],
  ['accumulation k=4', { gradAccumSteps: 4 }],
];

describe.each(CONFIGS)('predicted against measured peak: configs/%s', (file) => {
  const raw = JSON.parse(readFileSync(path.join(ROOT, 'configs', file), 'utf8')) as { train: Record<string, unknown> };
  it.each(VARIANTS)('%s: within 15% of tf.profile’s peak of a training step on the longest sequences', async (name, train) => {
    const run = parseRunConfig({ ...raw, train: { ...raw.train, ...train } });
    const predicted = predictMemory(run);
    const measured = await measureTrainingStep(run, longestBatch(run, run.train.batchSize));
    const ratio = predicted.peak / measured.peak;
    console.log(
      `[predict] ${file} ${name}: predicted ${(predicted.peak / MiB).toFixed(2)} MiB, measured ${(measured.peak / MiB).toFixed(2)} MiB, ratio ${ratio.toFixed(4)}`,
    );
    expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(0.15);
    // The parts the step reports, predicted too.
    expect(predicted.parameters).toBe(measured.memory.parameters);
    expect(predicted.optimizerState).toBe(measured.memory.optimizerState);
    expect(predicted.halfCopies).toBe(measured.memory.halfCopies);
    expect(Math.abs(predicted.savedActivations / measured.memory.savedActivations - 1)).toBeLessThanOrEqual(0.15);
  }, 300_000);
});

describe('predicted against measured peak where the parameters dominate (the moments after the backward pass)', () => {
  it.each([
    ['Adam', {}],
    ['fp16 loss scaling and clipping', { precision: 'fp16', clipGradNorm: 1 }],
    ['bf16, clipping, accumulation k=2', { precision: 'bf16', clipGradNorm: 1, gradAccumSteps: 2 }],
    ['centered RMSprop with momentum, clipping', { optimizer: { name: 'rmsprop', lr: 0.01, momentum: 0.5, centered: true }, clipGradNorm: 2 }],
  ])('%s: within 1%', async (name, train) => {
    const run = parseRunConfig({
      model: { dModel: 128, nHeads: 4, nEncoderLayers: 2, nDecoderLayers: 2, dFF: 512, maxLen: 8 },
      task: { name: 'reverse', minLength: 1, maxLength: 2, symbols: 5 },
      train: { batchSize: 2, ...train },
    });
    const predicted = predictMemory(run);
    const measured = await measureTrainingStep(run, longestBatch(run, 2));
    const ratio = predicted.peak / measured.peak;
    console.log(`[predict] parameter-heavy ${name}: predicted ${(predicted.peak / MiB).toFixed(3)} MiB, measured ${(measured.peak / MiB).toFixed(3)} MiB, ratio ${ratio.toFixed(4)}`);
    expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(0.01);
  });
});

/** Tiny models over every architecture and family the counts distinguish (recompute from host memory included). */
const SPOT_CHECKS: {
  arch: Architecture;
  model: Record<string, unknown>;
  checkpointing: 'none' | 'layers' | number;
  precision: 'fp32' | 'fp16' | 'bf16';
  offload?: 'activations';
  rows: number;
  src: number;
  tgt: number;
}[] = [
  { arch: 'encoder-decoder', model: {}, checkpointing: 'none', precision: 'fp32', rows: 3, src: 5, tgt: 4 },
  { arch: 'encoder-decoder', model: { activation: 'gelu', dropout: 0.2, normFirst: false }, checkpointing: 'none', precision: 'fp32', rows: 2, src: 3, tgt: 6 },
  { arch: 'encoder-decoder', model: { positional: 'learned' }, checkpointing: 2, precision: 'fp32', rows: 4, src: 6, tgt: 5 },
  { arch: 'encoder-decoder', model: { activation: 'gelu', dropout: 0.1 }, checkpointing: 'none', precision: 'fp16', rows: 2, src: 4, tgt: 4 },
  { arch: 'decoder-only', model: { dropout: 0.1 }, checkpointing: 'none', precision: 'fp32', rows: 3, src: 0, tgt: 7 },
  { arch: 'decoder-only', model: { normFirst: false, positional: 'learned' }, checkpointing: 'layers', precision: 'bf16', rows: 2, src: 0, tgt: 5 },
  { arch: 'encoder-only', model: { activation: 'gelu' }, checkpointing: 'none', precision: 'fp32', rows: 5, src: 4, tgt: 0 },
  { arch: 'encoder-only', model: { dropout: 0.3, normFirst: false }, checkpointing: 3, precision: 'fp32', rows: 2, src: 6, tgt: 0 },
  { arch: 'encoder-decoder', model: { dropout: 0.1 }, checkpointing: 'layers', precision: 'fp32', offload: 'activations', rows: 3, src: 5, tgt: 4 },
  { arch: 'decoder-only', model: { activation: 'gelu' }, checkpointing: 'none', precision: 'fp16', offload: 'activations', rows: 2, src: 0, tgt: 6 },
  { arch: 'encoder-only', model: {}, checkpointing: 2, precision: 'bf16', offload: 'activations', rows: 3, src: 5, tgt: 0 },
];

describe('the counts in coefficients.ts still describe the code', () => {
  it.each(SPOT_CHECKS.map((c, i) => [i, c] as const))(
    'model %i: every moment of a micro-batch, predicted to the byte (rerun tools/memory/calibrate.ts --write if not)',
    async (_i, c) => {
      const cfg = parseModelConfig({
        ...(c.arch === 'decoder-only' ? {} : { srcVocabSize: 9 }),
        tgtVocabSize: 7,
        dModel: 12,
        nHeads: 3,
        dFF: 20,
        nEncoderLayers: c.arch === 'decoder-only' ? 0 : 3,
        nDecoderLayers: c.arch === 'encoder-only' ? 0 : 2,
        maxLen: 12,
        ...c.model,
      });
      const row = (t: number) => Array.from({ length: c.rows }, (_, i) => Array.from({ length: t }, (_, j) => 3 + ((i + j) % 4)));
      const batch =
        c.arch === 'encoder-decoder'
          ? { src: row(c.src), tgtIn: row(c.tgt), tgtOut: row(c.tgt) }
          : c.arch === 'decoder-only'
            ? { tgtIn: row(c.tgt), tgtOut: row(c.tgt) }
            : { src: row(c.src), tgtOut: row(c.src) };
      const model = TransformerModel.initialise(cfg, 1);
      try {
        const m = await measureMicroBatch(model, batch, { checkpointing: c.checkpointing, precision: c.precision, offload: c.offload });
        const segment = segmentSize(c.checkpointing, c.precision, c.offload);
        const offloaded = c.offload === 'activations';
        const predicted = microBatchFigures(cfg, microShape(batch), segment, c.precision !== 'fp32', offloaded);
        const measured = {
          forward: m.forwardEnd,
          kept: m.kept,
          end: m.end,
          encForward: m.encoderStack.forward,
          encBackward: m.encoderStack.backward,
          decForward: m.decoderStack.forward,
          decBackward: m.decoderStack.backward,
          keptBackward: m.keptBackward,
          encKeptBackward: m.encoderKeptBackward,
        };
        for (const q of quantitiesOf(cfg, segment, offloaded)) expect(predicted[q], q).toBe(measured[q]);
        // And the peak of the micro-batch is one of those moments (or the forward's own transients).
        expect(Math.max(m.forward, ...Object.values(measured))).toBe(m.peak);
      } finally {
        model.dispose();
      }
    },
  );

  it('names only features the predictor computes', () => {
    for (const [arch, table] of Object.entries(COUNTS)) {
      for (const [part, counts] of Object.entries(table)) {
        const mode = part.split('+')[0] as Mode;
        const known = new Set(featureKeys(arch as Architecture, mode));
        for (const [q, c] of Object.entries(counts)) {
          expect(quantitiesOfArchitecture(arch as Architecture, mode)).toContain(q);
          for (const key of Object.keys(c ?? {})) expect(known.has(key), `${arch} ${part} ${q} ${key}`).toBe(true);
        }
      }
    }
  });
});

describe('predictMemory', () => {
  const base = (train: Record<string, unknown> = {}, model: Record<string, unknown> = {}): RunConfig =>
    parseRunConfig({
      model: { dModel: 64, nHeads: 4, nEncoderLayers: 4, nDecoderLayers: 4, dFF: 256, maxLen: 40, ...model },
      task: { name: 'reverse', minLength: 30, maxLength: 32, symbols: 10 },
      train: { batchSize: 32, ...train },
    });

  it('reports every field, parameters and optimizer state exactly, and parts that add up to the peak', () => {
    const p = predictMemory(base());
    // 4 encoder layers of 49,984, 4 decoder layers of 66,752, embeddings 2 × 13·64, two norms, the generator 13·64 + 13.
    expect(p.parameters).toBe(4 * 469_709);
    expect(p.gradients).toBe(p.parameters);
    expect(p.optimizerState).toBe(2 * p.parameters);
    expect(p.halfCopies).toBe(0);
    expect(p.backendInUse).toBe(0);
    expect(p.backendAllocated).toBeUndefined();
    expect(p.parameters + p.gradients + p.optimizerState + p.savedActivations + p.halfCopies + p.other).toBe(p.peak);
  });

  it('moves the way the techniques do where activations dominate', () => {
    const plain = predictMemory(base()).peak;
    expect(predictMemory(base({ checkpointing: 'layers' })).peak).toBeLessThan(0.5 * plain);
    expect(predictMemory(base({ precision: 'fp16' })).peak).toBeLessThan(0.65 * plain);
    expect(predictMemory(base({ gradAccumSteps: 8 })).peak).toBeLessThan(0.25 * plain);
    expect(predictMemory(base({ optimizer: { name: 'sgd', lr: 0.1 } })).optimizerState).toBe(0);
    // One packed boundary per recomputed layer: 3 of each stack's 4 (the last keeps its tape).
    expect(predictMemory(base({ precision: 'bf16' })).halfCopies).toBe((3 + 3) * ((32 * 33 * 64) / 2) * 4);
  });

  it('uses the longest sequence of the task: src = input EOS, tgtIn = BOS answer; one sequence for decoder-only', () => {
    const addition = parseRunConfig({
      model: { dModel: 32, nHeads: 2, nDecoderLayers: 2, dFF: 64, maxLen: 24 },
      task: { name: 'addition', maxDigits: 3 },
      train: { batchSize: 64, gradAccumSteps: 4 },
    });
    expect(longestMicroBatch(addition)).toEqual({ rows: 16, srcLen: 0, tgtLen: 7 + 4 + 2 });
    const reverse = base();
    expect(longestMicroBatch(reverse)).toEqual({ rows: 32, srcLen: 33, tgtLen: 33 });
    // toBatch pads a batch of the longest examples to exactly these lengths.
    const batch = longestBatch(addition, 2);
    expect(batch.tgtIn![0]!.length).toBe(13);
    expect(toBatch([{ input: [3], answer: [4] }], 'encoder-decoder').src![0]!.length).toBe(2);
  });

  it.each([
    { name: 'sgd', lr: 0.1 },
    { name: 'sgd', lr: 0.1, momentum: 0.9 },
    { name: 'adam', lr: 0.001 },
    { name: 'adamw', lr: 0.001 },
    { name: 'rmsprop', lr: 0.01 },
    { name: 'rmsprop', lr: 0.01, momentum: 0.9, centered: true },
    { name: 'adagrad', lr: 0.01 },
  ])('counts the optimizer state slots of %o as the optimizer keeps them', (optimizer) => {
    const run = base({ optimizer }, { nEncoderLayers: 1, nDecoderLayers: 1, dModel: 8, nHeads: 2, dFF: 8 });
    const model = TransformerModel.initialise(run.model, 1);
    const opt = createOptimizer(run.train.optimizer, model.list());
    try {
      tf.tidy(() => opt.step(new Map(model.list().map((p) => [p.name, tf.onesLike(p.variable)])), 0.01));
      expect(opt.stateBytes()).toBe(optimizerSlots(run.train.optimizer) * model.parameterBytes());
      expect(predictMemory(run).optimizerState).toBe(opt.stateBytes());
    } finally {
      opt.dispose();
      model.dispose();
    }
  });

  it('is plain TypeScript: nothing it imports reaches TF.js', () => {
    expect(tfjsImports('src/engine/memory/predict.ts')).toEqual([]);
    expect(importGraph('src/engine/memory/predict.ts').size).toBeGreaterThan(5);
  });
});
