import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { roundHalfBits } from '../../../src/engine/kernels/half/bits';
import { simdRound } from '../../../src/engine/internals/simdRound';
import { heapMemory } from '../../../src/engine/internals/wasmAsm';
import { installWasmKernels } from '../../../src/engine/internals/wasmKernels';
import { routeFor, type MatMulRoute } from '../../../src/engine/internals/wasmMatMul';
import { onBackend } from '../../helpers/backends';

/*
 * The tfjs-backend-wasm internals that src/engine/internals/ builds on (TF.js 4.22). If an
 * upgrade moves any of them, these fail before the engine computes something wrong.
 */

const ROUTES: MatMulRoute[] = [routeFor(1), routeFor(4), { batched: 'xnnpack', twoD: 'xnnpack' }];

const wasmBackend = async () => {
  await onBackend('wasm');
  return tf.backend() as BackendWasm;
};

/** float64 reference sums, so a kernel is compared with the exact result, not another kernel. */
const sumsOverRows = (values: Float32Array, rows: number, cols: number) =>
  Array.from({ length: cols }, (_, c) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += values[r * cols + c]!;
    return s;
  });

describe('the tfjs-backend-wasm internals the kernel overrides rely on', () => {
  it('a tensor info made over an existing memory offset shares its bytes, and unregistering it frees nothing', async () => {
    const wasm = await wasmBackend();
    const x = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    const data = wasm.dataIdMap.get(x.dataId)!;
    expect(typeof data.memoryOffset).toBe('number');
    const view = wasm.makeOutput([2], 'float32', (data.memoryOffset as number) + 2 * 4);
    const seen = wasm.typedArrayFromHeap(view) as Float32Array;
    expect([...seen]).toEqual([3, 4]);
    seen[0] = 30;
    // What releaseView does: the C++ side forgets the id, the JS side the entry; no _free.
    const ids = wasm.numDataIds();
    wasm.wasm.tfjs.disposeData(wasm.dataIdMap.get(view.dataId)!.id);
    wasm.dataIdMap.delete(view.dataId);
    expect(wasm.numDataIds()).toBe(ids - 1);
    expect([...(await x.data())]).toEqual([1, 2, 30, 4, 5, 6]);
    x.dispose();
  });

  it('the backend counts references (incRef) and frees data only when the last one goes', async () => {
    const wasm = await wasmBackend();
    const x = tf.tensor1d([7, 8]);
    wasm.incRef(x.dataId);
    expect(wasm.refCount(x.dataId)).toBe(2);
    expect(wasm.disposeData(x.dataId)).toBe(false);
    expect([...(await x.data())]).toEqual([7, 8]);
    x.dispose();
    expect(wasm.refCount(x.dataId)).toBe(0);
  });

  it('the heap is one WebAssembly.Memory (asm.memory here), the buffer typed arrays view', async () => {
    const wasm = await wasmBackend();
    const memory = heapMemory(wasm.wasm);
    expect(memory).toBeInstanceOf(WebAssembly.Memory);
    expect(memory!.buffer).toBe((wasm.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer);
  });
});

describe('the wasm kernel overrides', () => {
  it('Identity shares the data rather than copying it, and the copy outlives nothing', async () => {
    await wasmBackend();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const before = tf.memory();
    const y = tf.clone(x); // the Identity kernel
    expect(y.dataId).toBe(x.dataId);
    // The engine counts an alias's bytes as it counted a copy's, so memory figures are unchanged.
    expect(tf.memory().numBytes - before.numBytes).toBe(16);
    y.dispose();
    expect([...(await x.data())]).toEqual([1, 2, 3, 4]);
    x.dispose();
  });

  it.each([
    { shape: [1024, 512], axis: [0] },
    { shape: [9, 7, 5], axis: [0, 1] },
    { shape: [9, 7, 5], axis: [1, 0] },
    { shape: [3, 13], axis: 0 },
  ])('Sum over the leading axes of $shape ($axis) is exact to float32 rounding of the float64 sum', async ({ shape, axis }) => {
    await wasmBackend();
    const x = tf.randomUniform(shape, -1, 1, 'float32', 3);
    const rows = shape.slice(0, Array.isArray(axis) ? axis.length : 1).reduce((a, b) => a * b, 1);
    const cols = x.size / rows;
    const expected = sumsOverRows(await x.data() as Float32Array, rows, cols);
    const y = tf.sum(x, axis);
    expect(y.shape).toEqual(shape.slice(Array.isArray(axis) ? axis.length : 1));
    const got = await y.data();
    got.forEach((v, i) => expect(v).toBe(Math.fround(expected[i]!)));
    expect(tf.sum(x, axis, true).shape).toEqual([...shape.map((d, i) => (i < (Array.isArray(axis) ? axis.length : 1) ? 1 : d))]);
    tf.dispose([x, y]);
  });

  it.each([
    { shape: [1024, 384], axis: -1, splits: [128, 128, 128] },
    { shape: [2, 9, 12], axis: 1, splits: [4, 5] },
    { shape: [6, 5], axis: 0, splits: 3 },
  ])('SplitV of $shape into $splits along $axis gives the slices, bit for bit', async ({ shape, axis, splits }) => {
    await wasmBackend();
    const x = tf.randomUniform(shape, -1, 1, 'float32', 5);
    const pieces = tf.split(x, splits, axis);
    const sizes = Array.isArray(splits) ? splits : new Array<number>(splits).fill(shape.at(axis)! / splits);
    let start = 0;
    for (const [i, piece] of pieces.entries()) {
      const begin = shape.map(() => 0);
      const sliceSize = [...shape];
      const at = axis < 0 ? axis + shape.length : axis;
      begin[at] = start;
      sliceSize[at] = sizes[i]!;
      const expected = tf.slice(x, begin, sliceSize);
      expect(piece.shape).toEqual(expected.shape);
      expect([...(await piece.data())]).toEqual([...(await expected.data())]);
      start += sizes[i]!;
      expected.dispose();
    }
    tf.dispose([x, ...pieces]);
  });

  it.each(ROUTES)('matmuls, sums and splits leave no data behind on the route %j: temporaries and views are all released', async (route) => {
    const wasm = await wasmBackend();
    installWasmKernels(route);
    const a = tf.randomUniform([6, 5, 7], -1, 1, 'float32', 1);
    const b = tf.randomUniform([6, 4, 7], -1, 1, 'float32', 2);
    const c = tf.randomUniform([6, 4, 5], -1, 1, 'float32', 3);
    const w = tf.randomUniform([3, 7], -1, 1, 'float32', 4);
    const ids = wasm.numDataIds();
    const heap = tf.memory().numBytes;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        tf.matMul(a, b, false, true);
        tf.matMul(a, c, true, true).sum([0, 1]);
        tf.matMul(a.reshape([30, 7]), w, false, true);
        tf.matMul(a.reshape([30, 7]), a.reshape([30, 7]), true, false);
        tf.split(a, [3, 4], -1);
      });
    }
    installWasmKernels(routeFor(1));
    expect(wasm.numDataIds()).toBe(ids);
    expect(tf.memory().numBytes).toBe(heap);
    tf.dispose([a, b, c, w]);
  });

  it.each(['fp16', 'bf16'] as const)('%s rounding runs in SIMD on the heap, bit for bit as the JS loop rounds', async (format) => {
    const wasm = await wasmBackend();
    const round = simdRound(heapMemory(wasm.wasm));
    expect(round).not.toBeNull();
    // Every case of the rounding: NaN, ±inf, overflow, the largest half, normals with ties,
    // subnormals with ties, and values that round to ±0 (18 values: four vectors and a tail).
    const values = [NaN, Infinity, -Infinity, 65520, -65519.99, 65504, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -2.5, 6e-5, 2 ** -24 * 1.5, -(2 ** -24) * 2.5, 2 ** -25, -(2 ** -26), 3e38, 1e-40, 0.1, -0];
    const x = tf.tensor1d(values);
    const y = tf.zerosLike(x);
    const offset = (t: tf.Tensor) => wasm.dataIdMap.get(t.dataId)!.memoryOffset as number;
    const whole = values.length - (values.length % 4);
    round!(offset(x), offset(y), whole, format);
    const src = new Uint32Array(new Float32Array(values).buffer);
    const expected = new Uint32Array(values.length);
    roundHalfBits(src, expected, format);
    const got = new Uint32Array(((await y.data()) as Float32Array).buffer);
    expect([...got.subarray(0, whole)]).toEqual([...expected.subarray(0, whole)]);
    expect([...got.subarray(whole)].every((b) => b === 0)).toBe(true); // the tail is the caller's
    tf.dispose([x, y]);
  });
});
