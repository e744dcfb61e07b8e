import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { roundHalf, type HalfFormat } from '../../../src/engine/kernels/half';
import { halfFromFloatBits } from '../../../src/engine/kernels/half/bits';
import { halfMatMul, halfReadFor, packOperand } from '../../../src/engine/kernels/halfMatMul';
import { webgpuHasShaderF16 } from '../../../src/engine/internals/webgpu';
import { webgpuAdapter } from '../../../src/cli/nodeBackend';
import { onBackend } from '../../helpers/backends';

/**
 * The half-operand matmul of autocast on WebGPU against the rounding kernels' path (round both
 * operands, TF.js's fp32 matmul, round the result): the same half value, or its neighbour where
 * the fp32 sums add in another order. The halves are read through unpack2x16float here (every
 * adapter has it); natively where the adapter has shader-f16.
 */
const FORMATS: HalfFormat[] = ['fp16', 'bf16'];
// Odd sizes: partial tiles, and operands with an odd element count (the last word half empty).
const SHAPES = [
  { name: 'linear, x·Wᵀ', a: [37, 21], b: [19, 21], ta: false, tb: true },
  { name: 'weight gradient, dyᵀ·x', a: [37, 19], b: [37, 21], ta: true, tb: false },
  { name: 'attention, batched', a: [2, 3, 9, 17], b: [2, 3, 17, 9], ta: false, tb: false },
  { name: 'both transposed', a: [3, 17, 5], b: [3, 33, 17], ta: true, tb: true },
];

/** Half bit patterns of float32 values that hold half values, as signed steps from zero (so neighbours differ by one). */
function halfSteps(values: Float32Array, format: HalfFormat): number[] {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return Array.from(bits, (b) => {
    const h = halfFromFloatBits(b, format);
    return h & 0x8000 ? -(h & 0x7fff) : h;
  });
}

/** Values that exercise every range: normal, near the top, subnormal, zero. */
function operand(shape: number[], seed: number, format: HalfFormat): tf.Tensor {
  return tf.tidy(() => {
    const magnitude = tf.pow(2, tf.randomUniform(shape, format === 'fp16' ? -16 : -40, format === 'fp16' ? 6 : 20, 'float32', seed).floor());
    return tf.randomUniform(shape, -1, 1, 'float32', seed + 1).mul(magnitude);
  });
}

async function compare(got: tf.Tensor, want: tf.Tensor, format: HalfFormat) {
  const [g, w] = [halfSteps((await got.data()) as Float32Array, format), halfSteps((await want.data()) as Float32Array, format)];
  const worst = g.reduce((m, x, i) => Math.max(m, Math.abs(x - w[i]!)), 0);
  const same = g.filter((x, i) => x === w[i]).length / g.length;
  return { worst, same };
}

describe('half-operand matmul on WebGPU', () => {
  beforeAll(() => onBackend('webgpu'));

  for (const format of FORMATS) {
    it.each(SHAPES)(`${format}, unpack2x16float reads: $name equals the rounding path within one half-ulp`, async ({ a: as, b: bs, ta, tb }) => {
      const a = operand(as, 1, format);
      const b = operand(bs, 3, format);
      const want = tf.tidy(() => roundHalf(tf.matMul(roundHalf(a, format), roundHalf(b, format), ta, tb), format));
      const got = tf.tidy(() => halfMatMul(packOperand(a, format), packOperand(b, format), ta, tb, format, { read: 'unpack' }));
      expect(got.shape).toEqual(want.shape);
      const { worst, same } = await compare(got, want, format);
      expect(worst).toBeLessThanOrEqual(1);
      expect(same).toBeGreaterThan(0.9);
      tf.dispose([a, b, want, got]);
    });
  }

  it('reads a float32 operand cast from int32 by its values (TF.js may keep it in an int32 buffer)', async () => {
    const a = tf.tensor2d([[-3, 2], [0, -2]], [2, 2], 'int32').cast('float32');
    const b = tf.eye(2);
    const got = halfMatMul(packOperand(a, 'fp16'), packOperand(b, 'fp16'), false, false, 'fp16', { read: 'unpack' });
    expect(Array.from(await got.data())).toEqual([-3, 2, 0, -2]);
    expect(Array.from(await roundHalf(a, 'bf16').data())).toEqual([-3, 2, 0, -2]);
    tf.dispose([a, b, got]);
  });

  it('passes inf and NaN through as the rounding path does', async () => {
    const a = tf.tensor2d([[Infinity, 1], [NaN, 1], [1e6, 1]]);
    const b = tf.tensor2d([[1], [1]]);
    const got = halfMatMul(packOperand(a, 'fp16'), packOperand(b, 'fp16'), false, false, 'fp16', { read: 'unpack' });
    const want = roundHalf(tf.matMul(roundHalf(a, 'fp16'), roundHalf(b, 'fp16')), 'fp16');
    expect(Array.from(await got.data())).toEqual(Array.from(await want.data())); // [inf, NaN, inf]: 1e6 overflows fp16
    tf.dispose([a, b, got, want]);
  });

  it('reads halves natively where the adapter has shader-f16, bit for bit as unpack2x16float; else takes the unpack path', async () => {
    const adapter = webgpuAdapter()?.description ?? 'this adapter';
    if (!webgpuHasShaderF16()) {
      console.log(`[halfMatMul] ${adapter} has no shader-f16: the native-f16 kernel was not run here; checking the fallback instead`);
      expect(halfReadFor('fp16')).toBe('unpack');
      expect(halfReadFor('bf16')).toBe('unpack');
      return;
    }
    expect(halfReadFor('fp16')).toBe('native');
    for (const { a: as, b: bs, ta, tb } of SHAPES) {
      const a = operand(as, 5, 'fp16');
      const b = operand(bs, 7, 'fp16');
      const [pa, pb] = [packOperand(a, 'fp16'), packOperand(b, 'fp16')];
      const native = halfMatMul(pa, pb, ta, tb, 'fp16', { read: 'native' });
      const unpacked = halfMatMul(pa, pb, ta, tb, 'fp16', { read: 'unpack' });
      expect(Array.from(await native.data())).toEqual(Array.from(await unpacked.data()));
      tf.dispose([a, b, pa.packed, pb.packed, native, unpacked]);
    }
  });
});
