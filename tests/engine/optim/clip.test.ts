import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clipGradNorm } from '../../../src/engine/optim/clip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** ‖[3,4]‖ = 5 and ‖[[12]]‖ = 12: the total norm is 13. */
const grads = () =>
  new Map<string, tf.Tensor>([
    ['a', tf.tensor([3, 4])],
    ['b', tf.tensor([[12]])],
  ]);
const values = (m: Map<string, tf.Tensor>) => Object.fromEntries([...m].map(([k, t]) => [k, Array.from(t.dataSync())]));
const dispose = (m: Map<string, tf.Tensor>) => m.forEach((t) => t.dispose());

describe('clipGradNorm', () => {
  it('scales every gradient by maxNorm / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_', () => {
    const g = grads();
    const start = tf.memory().numTensors;
    const read = vi.spyOn(tf.backend(), 'readSync');
    const out = clipGradNorm(g, 6.5);
    expect(read).not.toHaveBeenCalled();
    expect(out.grads).not.toBe(g);
    expect(out.norm.dataSync()[0]).toBe(13);
    // float32 as PyTorch computes it: coef = 6.5 / (13 + 1e-6) = 0.49999997
    const coef = Math.fround(6.5 / Math.fround(13 + Math.fround(1e-6)));
    expect(values(out.grads)).toEqual({ a: [3, 4].map((x) => Math.fround(x * coef)), b: [Math.fround(12 * coef)] });
    // PyTorch 1.13's own result on these gradients
    expect(values(out.grads)).toEqual({ a: [1.4999998807907104, 1.9999998807907104], b: [5.999999523162842] });
    expect(values(g)).toEqual({ a: [3, 4], b: [12] }); // the inputs are left as they were
    dispose(out.grads);
    out.norm.dispose();
    expect(tf.memory().numTensors).toBe(start);
    dispose(g);
  });

  it('leaves gradients within the bound as they are (coefficient clamped to 1)', () => {
    const g = grads();
    const out = clipGradNorm(g, 100);
    expect(values(out.grads)).toEqual({ a: [3, 4], b: [12] });
    expect(out.norm.dataSync()[0]).toBe(13);
    dispose(out.grads);
    out.norm.dispose();
    dispose(g);
  });

  it('returns the same gradients and still the norm when maxNorm is null or 0', () => {
    const g = grads();
    for (const maxNorm of [null, 0]) {
      const start = tf.memory().numTensors;
      const out = clipGradNorm(g, maxNorm);
      expect(out.grads).toBe(g);
      expect(out.norm.dataSync()[0]).toBe(13);
      out.norm.dispose();
      expect(tf.memory().numTensors).toBe(start);
    }
    expect(values(g)).toEqual({ a: [3, 4], b: [12] });
    dispose(g);
  });

  it('gives norm 0 for no gradients', () => {
    const out = clipGradNorm(new Map(), 1);
    expect(out.norm.dataSync()[0]).toBe(0);
    expect(out.grads.size).toBe(0);
    out.norm.dispose();
  });

  it('refuses a negative or non-finite maxNorm', () => {
    const g = grads();
    expect(() => clipGradNorm(g, -1)).toThrow(RangeError);
    expect(() => clipGradNorm(g, Number.NaN)).toThrow(RangeError);
    expect(() => clipGradNorm(g, Infinity)).toThrow('maxNorm must be finite and ≥ 0, or null (got Infinity)');
    dispose(g);
  });
});
