import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundHalf, type HalfFormat } from '../../../src/engine/kernels/half';
import { roundedMatMul } from '../../../src/engine/kernels/roundedMatMul';
import { installWasmKernels } from '../../../src/engine/internals/wasmKernels';
import { routeFor, type MatMulRoute } from '../../../src/engine/internals/wasmMatMul';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';

/**
 * The rounded matmul (autocast's products off WebGPU) against its two ops, roundHalf of TF.js's
 * matmul: the same bits on every backend. On wasm it is one kernel over the engine's matmul
 * routes, so both routes are checked; odd sizes leave a tail that the SIMD rounding does not
 * cover.
 */
const FORMATS: HalfFormat[] = ['fp16', 'bf16'];
const SHAPES = [
  { name: 'linear, x·Wᵀ', a: [37, 21], b: [19, 21], ta: false, tb: true },
  { name: 'input gradient, dy·W', a: [37, 19], b: [19, 21], ta: false, tb: false },
  { name: 'attention scores, batched q·kᵀ', a: [2, 3, 9, 17], b: [2, 3, 9, 17], ta: false, tb: true },
  { name: 'attention gradient, batched pᵀ·dy', a: [6, 9, 9], b: [6, 9, 17], ta: true, tb: false },
  { name: 'both transposed', a: [3, 17, 5], b: [3, 33, 17], ta: true, tb: true },
  { name: 'a batch against one matrix', a: [3, 7, 5], b: [5, 11], ta: false, tb: false },
];

/** Values over the whole range, some past fp16's largest (they round to infinity) and some below its smallest. */
const operand = (shape: number[], seed: number) =>
  tf.tidy(() => tf.randomUniform(shape, -1, 1, 'float32', seed).mul(tf.pow(2, tf.randomUniform(shape, -20, 9, 'float32', seed + 1).floor())));

const bits = async (t: tf.Tensor) => Array.from(new Uint32Array(((await t.data()) as Float32Array).buffer));

function cases() {
  for (const format of FORMATS) {
    it.each(SHAPES)(`${format}: $name, bit for bit roundHalf(matMul)`, async ({ a: as, b: bs, ta, tb }) => {
      const [a, b] = [operand(as, 1), operand(bs, 3)];
      const want = tf.tidy(() => roundHalf(tf.matMul(a, b, ta, tb), format));
      const got = roundedMatMul(a, b, ta, tb, format);
      expect(got.shape).toEqual(want.shape);
      expect(await bits(got)).toEqual(await bits(want));
      tf.dispose([a, b, want, got]);
    });
  }
}

describe.each(NODE_BACKENDS)('rounded matmul on %s', (backend) => {
  beforeAll(() => onBackend(backend));
  cases();

  it(`runs ${backend === 'wasm' ? 'one kernel' : 'the two ops'} and leaves one tensor: the result`, async () => {
    const [a, b] = [operand([8, 16], 5), operand([16, 8], 7)];
    const profile = await tf.profile(() => roundedMatMul(a, b, false, false, 'fp16'));
    expect(profile.kernels.map((k) => k.name)).toEqual(backend === 'wasm' ? ['LabRoundedMatMul'] : ['BatchMatMul', 'LabRoundHalf']);
    expect(profile.newTensors).toBe(1);
    tf.dispose([a, b, profile.result as tf.Tensor]);
  });
});

describe('rounded matmul on wasm, XNNPACK route', () => {
  const xnnpack: MatMulRoute = { batched: 'xnnpack', twoD: 'xnnpack' };
  beforeAll(async () => {
    await onBackend('wasm');
    installWasmKernels(xnnpack);
  });
  afterAll(() => installWasmKernels(routeFor(1)));
  cases();
});
