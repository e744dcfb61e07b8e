import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nonFiniteCount } from '../../../src/engine/kernels/nonFinite';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';

/**
 * The overflow check against a count made here in JS, on every backend. Sizes around the SIMD
 * group of eight put the odd value in the scanned groups, in the tail, or in both; every kind of
 * non-finite value is placed in each.
 */
const SIZES = [1, 7, 8, 9, 16, 37, 1000];
const ODD_VALUES = [Infinity, -Infinity, NaN];

/** A tensor of `n` finite values (huge, tiny and negative among them), with `odd` at `at`. */
function tensorOf(n: number, odd?: { value: number; at: number }): tf.Tensor {
  const values = Float32Array.from({ length: n }, (_, i) => [3.4e38, -3.4e38, 1e-45, -0, 65504, -1.5][i % 6]! * (1 + (i % 5)) / 5);
  if (odd) values[odd.at] = odd.value;
  return tf.tensor1d(values);
}

describe.each(NODE_BACKENDS)('nonFiniteCount on %s', (backend) => {
  beforeAll(() => onBackend(backend));

  it.each(SIZES)('finds nothing in %i finite values (the largest float32 among them)', async (n) => {
    const t = tensorOf(n);
    const count = nonFiniteCount([t]);
    expect(await count.data()).toEqual(new Float32Array([0]));
    tf.dispose([t, count]);
  });

  for (const value of ODD_VALUES) {
    it.each(SIZES)(`finds ${value} at the first, a middle and the last of %i values`, async (n) => {
      for (const at of new Set([0, n >> 1, n - 1])) {
        const t = tensorOf(n, { value, at });
        const count = nonFiniteCount([t]);
        expect(await count.data(), `${value} at ${at}`).toEqual(new Float32Array([1]));
        tf.dispose([t, count]);
      }
    });
  }

  it('counts the tensors that hold one, not the values, over tensors of other shapes', async () => {
    const tensors = [
      tensorOf(37, { value: NaN, at: 3 }).reshape([37, 1]),
      tensorOf(24),
      tf.scalar(-Infinity),
      tensorOf(96, { value: Infinity, at: 95 }).reshape([4, 4, 6]),
      tf.scalar(2),
    ];
    const count = nonFiniteCount(tensors);
    expect(await count.data()).toEqual(new Float32Array([3]));
    tf.dispose([...tensors, count]);
  });

  it('counts zero for no tensors, and refuses a tensor of another dtype', async () => {
    const none = nonFiniteCount([]);
    expect(await none.data()).toEqual(new Float32Array([0]));
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(() => nonFiniteCount([ints])).toThrow('nonFiniteCount takes float32 tensors (got int32)');
    tf.dispose([none, ints]);
  });

  it(`runs ${backend === 'wasm' ? 'one kernel for every tensor' : 'IsFinite and All per tensor'} and leaves one tensor: the count`, async () => {
    const tensors = [tensorOf(40), tensorOf(9, { value: NaN, at: 8 })];
    const profile = await tf.profile(() => nonFiniteCount(tensors));
    const names = profile.kernels.map((k) => k.name);
    if (backend === 'wasm') expect(names).toEqual(['LabNonFiniteCount']);
    else expect(names.filter((n) => n === 'IsFinite' || n === 'All')).toEqual(['IsFinite', 'All', 'IsFinite', 'All']);
    expect(profile.newTensors).toBe(1);
    expect(await (profile.result as tf.Tensor).data()).toEqual(new Float32Array([1]));
    tf.dispose([...tensors, profile.result as tf.Tensor]);
  });
});
