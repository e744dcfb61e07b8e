import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { packHalfBits, roundHalfBits, unpackHalfBits } from '../../../src/engine/kernels/half/bits';
import { simdHalf } from '../../../src/engine/internals/simdHalf';
import { heapMemory } from '../../../src/engine/internals/wasmAsm';
import { installWasmKernels } from '../../../src/engine/internals/wasmKernels';
import { routeFor, type MatMulRoute } from '../../../src/engine/internals/wasmMatMul';
import { onBackend } from '../../helpers/backends';

/*
 * The tfjs-backend-wasm internals that src/engine/internals/ builds on (TF.js 4.22). If an
 * upgrade moves any of them, these fail before the engine computes something wrong.
 */

const ROUTES: MatMulRoute[] = [routeFor(1), routeFor(4), { batched: 'xnnpack', twoD: 'xnnpack' }];

const TILES: { shape: number[]; reps: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
  { shape: [1, 1], reps: [384, 128], dtype: 'bool' },
  { shape: [2, 3], reps: [2, 2], dtype: 'float32' },
  { shape: [2, 1, 3], reps: [1, 4, 2], dtype: 'int32' },
  { shape: [3], reps: [5], dtype: 'float32' },
  { shape: [2, 3, 4], reps: [1, 1, 1], dtype: 'float32' },
  { shape: [1], reps: [128], dtype: 'bool' },
];

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

  it.each(TILES)('Tile of $dtype $shape by $reps puts every element where the definition says', async ({ shape, reps, dtype }) => {
    await wasmBackend();
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: size(shape) }, (_, i) => (dtype === 'bool' ? i % 2 : i * 7 - 3));
    const x = tf.tensor(values, shape, dtype);
    const y = tf.tile(x, reps);
    const outShape = shape.map((d, i) => d * reps[i]!);
    expect(y.shape).toEqual(outShape);
    expect(y.dtype).toBe(dtype);
    // out[o_0, …, o_{r−1}] = x[o_0 mod s_0, …, o_{r−1} mod s_{r−1}], both in row-major order.
    const expected = Array.from({ length: size(outShape) }, (_, flat) =>
      values[shape.reduce((source, d, a) => source * d + (Math.floor(flat / size(outShape.slice(a + 1))) % outShape[a]!) % d, 0)]!);
    expect([...(await y.data())].map(Number)).toEqual(expected);
    tf.dispose([x, y]);
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
        tf.where(tf.scalar(true), a, c.reshape([6, 5, 4]).pad([[0, 0], [0, 0], [0, 3]]));
      });
    }
    installWasmKernels(routeFor(1));
    expect(wasm.numDataIds()).toBe(ids);
    expect(tf.memory().numBytes).toBe(heap);
    tf.dispose([a, b, c, w]);
  });

  it.each(['fp16', 'bf16'] as const)('%s rounding, packing and unpacking run in SIMD on the heap, bit for bit as the JS loops', async (format) => {
    const wasm = await wasmBackend();
    const half = simdHalf(heapMemory(wasm.wasm));
    expect(half).not.toBeNull();
    // Every case: NaN, ±inf, overflow and its tie, the largest half, normals with ties, the
    // subnormal boundary (rounding up to the smallest normal), subnormals with ties, values that
    // round to ±0, float32 subnormals; then random bit patterns. 4,100 values: whole groups of
    // eight, and a tail the SIMD code must leave alone.
    const edges = [NaN, Infinity, -Infinity, 65520, -65519.99, 65504, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -2.5, 6e-5, 2 ** -24 * 1.5,
      -(2 ** -24) * 2.5, 2 ** -25, -(2 ** -26), 3e38, 1e-40, 0.1, -0, 2 ** -14 - 2 ** -26, 2 ** -14 - 2 ** -25, 2 ** -14, -(2 ** -15) * 3];
    const bits = new Uint32Array(4100);
    bits.set(new Uint32Array(new Float32Array(edges).buffer));
    let h = 12345;
    for (let i = edges.length; i < bits.length; i++) bits[i] = h = (Math.imul(h, 1103515245) + 12345) >>> 0;
    bits[4099] = 0x7f800001; // a signalling NaN's pattern, in the tail
    const n = bits.length;
    const whole = n - (n % half!.group);
    const x = tf.tensor1d(new Float32Array(bits.buffer));
    const offset = (t: tf.Tensor) => wasm.dataIdMap.get(t.dataId)!.memoryOffset as number;
    const wordsOf = async (t: tf.Tensor) => new Uint32Array((await t.data()).slice().buffer);

    const rounded = tf.zerosLike(x);
    half!.round(offset(x), offset(rounded), n, format);
    const expectedRound = new Uint32Array(n);
    roundHalfBits(bits, expectedRound, format);
    const gotRound = await wordsOf(rounded);
    expect([...gotRound.subarray(0, whole)]).toEqual([...expectedRound.subarray(0, whole)]);
    expect([...gotRound.subarray(whole)].every((b) => b === 0)).toBe(true); // the tail is the caller's

    const packed = tf.zeros([n / 2], 'int32');
    half!.pack(offset(x), offset(packed), n, format);
    const expectedPack = new Uint32Array(n / 2);
    packHalfBits(bits, expectedPack, format);
    const gotPack = await wordsOf(packed);
    expect([...gotPack.subarray(0, whole / 2)]).toEqual([...expectedPack.subarray(0, whole / 2)]);
    expect([...gotPack.subarray(whole / 2)].every((b) => b === 0)).toBe(true);

    // Unpacking: every 16-bit pattern once, from the JS loop's packing of them.
    const patterns = tf.tensor1d(Int32Array.from({ length: 32768 }, (_, i) => (2 * i) | ((2 * i + 1) << 16)), 'int32');
    const unpacked = tf.zeros([65536]);
    half!.unpack(offset(patterns), offset(unpacked), 65536, format);
    const expectedUnpack = new Uint32Array(65536);
    unpackHalfBits(new Uint32Array((await patterns.data()).slice().buffer), expectedUnpack, format);
    expect([...(await wordsOf(unpacked))]).toEqual([...expectedUnpack]);
    tf.dispose([x, rounded, packed, patterns, unpacked]);
  });

  it.each(['fp16', 'bf16'] as const)('%s rounding in SIMD equals the JS loop around the rounding boundaries of every float32 exponent, both signs', async (format) => {
    const wasm = await wasmBackend();
    const half = simdHalf(heapMemory(wasm.wasm))!;
    // Below the half's last kept bit: zero, just under a tie, the tie, just over it, all ones;
    // above it, even and odd kept bits (ties go to even) and random ones. 2 × 256 × 64 × 5 values.
    const dropped = format === 'fp16' ? 13 : 16;
    const tie = 1 << (dropped - 1);
    const lows = [0, tie - 1, tie, tie + 1, (1 << dropped) - 1];
    const bits: number[] = [];
    let h = 777;
    for (const sign of [0, 0x80000000]) {
      for (let exponent = 0; exponent < 256; exponent++) {
        for (let j = 0; j < 64; j++) {
          h = (Math.imul(h, 1103515245) + 12345) >>> 0;
          const kept = j < 2 ? j : (h >>> 9) & ((1 << (23 - dropped)) - 1);
          for (const low of lows) bits.push((sign | (exponent << 23) | (kept << dropped) | low) >>> 0);
        }
      }
    }
    const input = Uint32Array.from(bits);
    const x = tf.tensor1d(new Float32Array(input.buffer));
    const out = tf.zerosLike(x);
    const offset = (t: tf.Tensor) => wasm.dataIdMap.get(t.dataId)!.memoryOffset as number;
    half.round(offset(x), offset(out), input.length, format);
    const expected = new Uint32Array(input.length);
    roundHalfBits(input, expected, format);
    const got = new Uint32Array((await out.data()).slice().buffer);
    const wrong = [...got.keys()].filter((i) => got[i] !== expected[i]).slice(0, 5).map((i) => `0x${input[i]!.toString(16)}`);
    expect(wrong).toEqual([]);
    tf.dispose([x, out]);
  });
});
