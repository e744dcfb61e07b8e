import { beforeAll, describe, expect, it } from 'vitest';
import { longestBatch } from '../../../src/engine/bench/measure';
import { hasHalfKernels } from '../../../src/engine/kernels/half';
import { predictMemory } from '../../../src/engine/memory/predict';
import { halfCopyBytes, microShape } from '../../../src/engine/memory/shapes';
import { precisionPolicy, type Checkpointing, type Precision } from '../../../src/engine/precision/policy';
import { parseRunConfig, type RunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { onBackend } from '../../helpers/backends';
import { importGraph, tfjsImports } from '../../helpers/imports';


const PRECISIONS: Precision[] = ['fp32', 'fp16', 'bf16'];
const CHECKPOINTING: Checkpointing[] = ['none', 'layers', 2];
const ENABLED: (boolean | undefined)[] = [undefined, true, false];

/** A run of 2 + 2 layers with these precision settings (the rest as the tests need it). */
const tiny = (precision: Precision, checkpointing: Checkpointing, enabled?: boolean, train: Record<string, unknown> = {}, model: Record<string, unknown> = {}): RunConfig =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nEncoderLayers: 2, nDecoderLayers: 2, dFF: 32, maxLen: 10, ...model },
    task: { name: 'reverse', minLength: 1, maxLength: 6, symbols: 5 },
    train: { batchSize: 4, steps: 2, seed: 3, validationSize: 4, precision, checkpointing, lossScaler: enabled === undefined ? {} : { enabled }, ...train },
  });

describe('the precision policy', () => {
  const cases = PRECISIONS.flatMap((p) => CHECKPOINTING.flatMap((c) => ENABLED.flatMap((e) => (['none', 'activations'] as const).map((o) => [p, c, e, o] as const))));

  it.each(cases)('%s, checkpointing %s, lossScaler.enabled %s, offload %s', (precision, checkpointing, enabled, offload) => {
    const half = precision !== 'fp32';
    const offloaded = offload === 'activations';
    // 'none' under a half precision recomputes one layer per segment: half-size boundaries need a
    // recompute; so does offloading, which moves segment boundaries.
    const segmentSize = new Map<Checkpointing, number>([['none', half || offloaded ? 1 : 0], ['layers', 1], [2, 2]]).get(checkpointing);
    expect(precisionPolicy(tiny(precision, checkpointing, enabled, { offload }).train)).toEqual({
      matMul: precision,
      boundaryStorage: precision,
      segmentSize,
      recomputeImplied: checkpointing === 'none' && (half || offloaded),
      offload: offloaded,
      lossScaling: enabled ?? precision === 'fp16',
    });
  });

  it('is plain TypeScript: nothing it imports reaches TF.js (the page imports it)', () => {
    expect(tfjsImports('src/engine/precision/policy.ts')).toEqual([]);
    expect(importGraph('src/engine/precision/policy.ts').size).toBeGreaterThan(1);
  });
});

describe('the predictor reads the policy', () => {
  it.each(PRECISIONS)('%s: the implied recompute is predicted as per-layer recompute, its boundaries as the policy keeps them', (precision) => {
    const none = tiny(precision, 'none');
    const layers = tiny(precision, 'layers');
    if (precision === 'fp32') expect(predictMemory(none)).not.toEqual(predictMemory(layers));
    else expect(predictMemory(none)).toEqual(predictMemory(layers));
    for (const run of [none, layers, tiny(precision, 2)]) {
      const longest = microShape(longestBatch(run, run.train.batchSize));
      expect(predictMemory(run).halfCopies).toBe(halfCopyBytes(run.model, precisionPolicy(run.train), longest));
    }
  });

  it.each(PRECISIONS.flatMap((p) => ENABLED.map((e) => [p, e] as const)))('%s, lossScaler.enabled %s: the unscaled copy of the gradients is predicted when the policy scales', (precision, enabled) => {
    // Parameters dominate, so the peak is the moment after the backward pass, where the copy sits.
    const heavy = (enabled?: boolean) =>
      parseRunConfig({
        model: { dModel: 128, nHeads: 4, nEncoderLayers: 2, nDecoderLayers: 2, dFF: 512, maxLen: 8 },
        task: { name: 'reverse', minLength: 1, maxLength: 2, symbols: 5 },
        train: { batchSize: 2, clipGradNorm: 1, precision, lossScaler: enabled === undefined ? {} : { enabled } },
      });
    const run = heavy(enabled);
    expect(predictMemory(run).peak > predictMemory(heavy(false)).peak).toBe(precisionPolicy(run.train).lossScaling);
  });
});

describe('the trainer reads the policy', () => {
  beforeAll(() => onBackend('wasm'));

  /** One step on the longest batch: its metrics and the trainer's policy. */
  const step = async (run: RunConfig) => {
    const batch = longestBatch(run, run.train.batchSize);
    const trainer = Trainer.create(run, { fixedBatch: batch });
    try {
      return { policy: trainer.policy, metrics: await trainer.trainStep(), batch };
    } finally {
      trainer.dispose();
    }
  };

  it.each(['fp16', 'bf16'] as const)("%s with checkpointing 'none' recomputes per layer, as with 'layers'", async (precision) => {
    const none = await step(tiny(precision, 'none'));
    const layers = await step(tiny(precision, 'layers'));
    expect(none.policy).toEqual({ ...precisionPolicy(tiny(precision, 'none').train), segmentSize: 1, recomputeImplied: true });
    // The same runner: the same numbers and the same memory, boundaries kept at half size.
    expect(none.metrics.loss).toBe(layers.metrics.loss);
    expect(none.metrics.gradNorm).toBe(layers.metrics.gradNorm);
    for (const key of ['savedActivations', 'halfCopies', 'peak'] as const) expect(none.metrics.memory![key], key).toBe(layers.metrics.memory![key]);
    expect(none.metrics.memory!.halfCopies).toBe(halfCopyBytes(tiny(precision, 'none').model, none.policy, microShape(none.batch), hasHalfKernels()));
    expect(none.metrics.memory!.halfCopies).toBeGreaterThan(0);
  }, 60_000);

  it("fp32 with checkpointing 'none' runs plainly: it keeps more than the per-layer recompute", async () => {
    const none = await step(tiny('fp32', 'none'));
    const layers = await step(tiny('fp32', 'layers'));
    expect(none.policy.segmentSize).toBe(0);
    expect(none.metrics.memory!.halfCopies).toBe(0);
    expect(none.metrics.memory!.savedActivations).toBeGreaterThan(layers.metrics.memory!.savedActivations);
  }, 60_000);

  it.each(PRECISIONS.flatMap((p) => ENABLED.map((e) => [p, e] as const)))('%s, lossScaler.enabled %s: the step scales its loss when the policy says so', async (precision, enabled) => {
    const run = tiny(precision, 'none', enabled);
    const { policy, metrics } = await step(run);
    expect(policy).toEqual(precisionPolicy(run.train));
    expect(metrics.lossScale !== undefined).toBe(policy.lossScaling);
    expect(metrics.skipped !== undefined).toBe(policy.lossScaling);
  }, 60_000);
});
