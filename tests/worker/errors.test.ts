import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/engine/runConfig';
import { DivergedError } from '../../src/engine/train/events';
import { ConfigError } from '../../src/engine/validation';
import { BackendFailure, classify, memoryToggles } from '../../src/worker/errors';
import { predictedPeak } from '../../src/worker/predict';
import { TINY } from './harness';

const run = parseRunConfig(TINY);

describe('error classification', () => {
  it('suggests the memory toggles that are off, most saving first, with predicted peaks', () => {
    const c = classify(new Error('WebGPU: out of memory while creating a buffer'), run, predictedPeak, 40);
    expect(c.kind).toBe('oom');
    expect(c.message).toMatch(/^Out of memory: /);
    for (const t of ['fp16 autocast', 'checkpointing every layer', 'gradient accumulation over 2 micro-batches', 'a smaller batch (4)']) expect(c.suggestion).toContain(t);
    expect(c.suggestion).toContain('The weights of step 40 are kept');
    const toggles = memoryToggles(run, predictedPeak);
    const peaks = toggles.map((t) => Number(/predicted peak ([\d.]+) (KiB|MiB)/.exec(t)?.[1] ?? 'NaN'));
    expect(peaks.every(Number.isFinite)).toBe(true);
  });

  it('names what is already on as nothing to suggest', () => {
    const lean = parseRunConfig({ ...TINY, train: { ...TINY.train, precision: 'fp16', checkpointing: 'layers', batchSize: 1, optimizer: { name: 'sgd', lr: 0.1 } } });
    expect(memoryToggles(lean)).toEqual([]);
  });

  it('does not suggest checkpointing under fp16, where "none" already recomputes every layer', () => {
    const fp16 = parseRunConfig({ ...TINY, train: { ...TINY.train, precision: 'fp16', checkpointing: 'none' } });
    expect(memoryToggles(fp16).some((t) => t.startsWith('checkpointing'))).toBe(false);
  });

  it('tells divergence, lost devices, config errors and the rest apart', () => {
    expect(classify(new DivergedError(7), run)).toMatchObject({ kind: 'diverged', suggestion: expect.stringMatching(/Lower the learning rate \(now 0\.01\), turn on gradient clipping/) });
    expect(classify(new BackendFailure('device-lost', 'gone'), run).kind).toBe('device-lost');
    expect(classify(new Error('GPUDevice was lost'), run).kind).toBe('device-lost');
    expect(classify(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'), run).kind).toBe('oom');
    expect(classify(new ConfigError([{ path: 'train.steps', message: 'must be ≥ 0' }])).issues).toEqual([{ path: 'train.steps', message: 'must be ≥ 0' }]);
    expect(classify(new TypeError('x is undefined')).kind).toBe('other');
  });
});
