import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  PACK_HALF, ROUND_HALF, UNPACK_HALF, hasHalfKernels, packHalf, registerHalfKernels, roundHalf, unpackHalf,
} from '../../../src/engine/kernels/half';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';
import { COMPOSITE, KERNELS, halfCases } from './halfCases';

describe.each(NODE_BACKENDS)('half-precision kernels on %s', (backend) => {
  beforeAll(async () => {
    await onBackend(backend);
  });
  for (const c of halfCases()) it(c.name, () => c.run(KERNELS));
});

describe('half-precision composite fallback (forced, on the cpu backend)', () => {
  beforeAll(async () => {
    await onBackend('cpu');
  });
  for (const c of halfCases()) it(c.name, () => c.run(COMPOSITE));
});

/** A backend with every cpu kernel but ours, standing in for webgl or any other. */
describe('the public functions on a backend without the kernels', () => {
  const OTHER = 'lab-other';
  beforeAll(async () => {
    await onBackend('cpu');
    registerHalfKernels();
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (!k.kernelName.startsWith('Lab')) tf.registerKernel({ ...k, backendName: OTHER });
    }
    tf.registerBackend(OTHER, tf.findBackendFactory('cpu')!);
    await tf.setBackend(OTHER);
  });
  afterAll(async () => {
    await onBackend('cpu');
    tf.removeBackend(OTHER);
  });

  it('fall back to the composite', () => {
    expect(hasHalfKernels()).toBe(false);
    expect(hasHalfKernels('cpu')).toBe(true);
    const x = tf.tensor([1 + 2 ** -11, 70000, -(2 ** -25) * 1.5]);
    const stored = packHalf(x, 'fp16');
    expect(stored.dtype).toBe('float32'); // no packing there, and it says so
    expect(Array.from(unpackHalf(stored, [3], 'fp16').dataSync())).toEqual([1, Infinity, -(2 ** -24)]);
    expect(Array.from(roundHalf(x, 'bf16').dataSync())).toEqual([1, 70144, -(2 ** -25) * 1.5]);
    expect(() => unpackHalf(tf.tensor([1], [1], 'int32'), [2], 'fp16')).toThrow(/no kernel to unpack int32/);
    tf.dispose([x, stored]);
  });

  for (const c of halfCases()) it(c.name, () => c.run({ ...KERNELS, name: 'routed', packs: false }));
});

describe('registration and checks', () => {
  beforeAll(async () => {
    await onBackend('cpu');
  });

  it('registers every backend kernel under its name, once', () => {
    const warn = vi.spyOn(console, 'warn');
    registerHalfKernels();
    registerHalfKernels();
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect([ROUND_HALF, PACK_HALF, UNPACK_HALF]).toEqual(['LabRoundHalf', 'LabPackHalf', 'LabUnpackHalf']);
    for (const backend of ['cpu', 'wasm', 'webgpu']) {
      for (const name of [ROUND_HALF, PACK_HALF, UNPACK_HALF]) expect(tf.getKernel(name, backend)).toBeDefined();
    }
    expect(tf.getGradient(ROUND_HALF)).toBeDefined();
  });

  it('rejects wrong dtypes, formats and sizes', () => {
    const x = tf.tensor([1, 2, 3]);
    const i = tf.tensor([1, 2], [2], 'int32');
    expect(() => roundHalf(i, 'fp16')).toThrow(/float32/);
    expect(() => packHalf(x, 'fp8' as 'fp16')).toThrow(/'fp16' or 'bf16'/);
    expect(() => unpackHalf(i, [5], 'fp16')).toThrow(/2 packed words for shape \[5\]/);
    expect(() => unpackHalf(x, [4], 'fp16')).toThrow(/3 stored values/);
    tf.dispose([x, i]);
  });
});
