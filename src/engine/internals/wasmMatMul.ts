import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdMatMul, type SimdMatMul, type SliceBatch } from './simdMatMul';
import { heapMemory, heapOffset } from './wasmAsm';

/*
 * The BatchMatMul override of tfjs-backend-wasm 4.22 (installed by wasmKernels.ts). The stock
 * kernel calls XNNPACK only when neither operand is transposed and the batch is 1; everything
 * else (every x·Wᵀ, every weight gradient, all of attention) runs a scalar loop at about
 * 1.2 GFLOP/s. Two fast forms replace it:
 *
 * - SIMD kernels of our own (simdMatMul.ts) read the operands where they lie, transposed or not,
 *   and run a whole batch in one call: 40–50 GFLOP/s on attention's slices and as fast as
 *   XNNPACK or faster on the engine's 2-D shapes, but on one thread.
 * - XNNPACK through the stock kernel, after materialising transposes (a tiled copy on the heap)
 *   and slicing a batch into batch-1 calls on views. It runs on XNNPACK's thread pool.
 *
 * With one thread (Node, and browsers without cross-origin isolation) every matmul takes the
 * SIMD kernels; with a thread pool the 2-D ones go to XNNPACK, which splits them across threads.
 * Where SIMD cannot be made (a wasm engine without it), everything goes to XNNPACK. The numbers
 * behind these choices are in the README ("Speed").
 */

export type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };
export type Kernel = (args: Args) => TensorInfo;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Which form runs the batched (attention) and the 2-D (Linear) matmuls. */
export interface MatMulRoute {
  batched: 'simd' | 'xnnpack';
  twoD: 'simd' | 'xnnpack';
}

/** The route for XNNPACK's thread count (tfjs-backend-wasm's getThreadsCount()). */
export const routeFor = (threads: number): MatMulRoute => ({ batched: 'simd', twoD: threads > 1 ? 'xnnpack' : 'simd' });

/** The same bytes under another shape (no data moves; valid while `t` lives). */
const reshaped = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });

/** Tiles of 32×32 keep both the rows read and the columns written in cache. */
const TILE = 32;

/**
 * x with its last two axes swapped, as a new tensor ([..., r, c] → [..., c, r]). A tiled JS loop
 * on the heap: the stock Transpose kernel is several times slower on these shapes.
 */
function transposeLast(wasm: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const r = x.shape[rank - 2]!;
  const c = x.shape[rank - 1]!;
  const out = wasm.makeOutput([...x.shape.slice(0, -2), c, r], 'float32');
  const src = wasm.typedArrayFromHeap(x) as Float32Array;
  const dst = wasm.typedArrayFromHeap(out) as Float32Array;
  for (let base = 0; base < src.length; base += r * c) {
    for (let i0 = 0; i0 < r; i0 += TILE) {
      const i1 = Math.min(i0 + TILE, r);
      for (let j0 = 0; j0 < c; j0 += TILE) {
        const j1 = Math.min(j0 + TILE, c);
        for (let j = j0; j < j1; j++) {
          const to = base + j * r;
          for (let i = i0; i < i1; i++) dst[to + i] = src[base + i * c + j]!;
        }
      }
    }
  }
  return out;
}

interface Dims {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * `nn` sums over k in chunks of this many, adding each chunk into C: a chunk of op(A)'s columns
 * and of B's rows stays in the first-level cache while every block of C passes over it.
 */
const K_CHUNK = 128;

/**
 * out = op(a)·op(b) by the SIMD kernels, a batch of one on either side shared by every slice:
 * `nn` reads a transposed A through its strides, `nt` takes a transposed B, and with both
 * transposed B is made plain first.
 */
function simdForm(simd: SimdMatMul, wasm: BackendWasm, a: TensorInfo, b: TensorInfo, out: TensorInfo, d: Dims): void {
  const { m, k, n, transposeA, transposeB } = d;
  const slices: SliceBatch = {
    a: heapOffset(wasm, a),
    b: heapOffset(wasm, b),
    c: heapOffset(wasm, out),
    batch: Math.max(d.batchA, d.batchB),
    aBatchStride: d.batchA === 1 ? 0 : m * k * 4,
    bBatchStride: d.batchB === 1 ? 0 : k * n * 4,
    m,
    k,
    n,
  };
  if (transposeB && !transposeA) {
    simd.nt(slices);
    return;
  }
  const plainB = transposeB ? transposeLast(wasm, b) : b;
  const [rowStrideA, colStrideA] = transposeA ? [4, m * 4] : [k * 4, 4];
  (wasm.typedArrayFromHeap(out) as Float32Array).fill(0);
  const bAt = heapOffset(wasm, plainB);
  for (let l = 0; l < k; l += K_CHUNK) {
    const chunk = { ...slices, a: slices.a + l * colStrideA, b: bAt + l * n * 4, k: Math.min(K_CHUNK, k - l) };
    simd.nn(chunk, rowStrideA, colStrideA);
  }
  if (plainB !== b) wasm.disposeData(plainB.dataId);
}

/** The C++ side of tfjs-backend-wasm's BatchMatMul, called without its JS wrapper. */
interface WasmModule {
  _BatchMatMul(aId: number, aShape: number, aRank: number, bId: number, bShape: number, bRank: number, transposeA: number, transposeB: number, outId: number): void;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
}

/**
 * A tensor info of `shape` over the float32 elements of `of` from element `offset` on, sharing
 * its bytes: `makeOutput` at a memory offset registers a tensor over bytes that something else
 * owns. It is released with `releaseView`, which unregisters it without the `_free` that
 * `disposeData` would call on memory it does not own.
 */
function view(wasm: BackendWasm, of: TensorInfo, offset: number, shape: number[]): TensorInfo {
  return wasm.makeOutput(shape, 'float32', heapOffset(wasm, of) + offset * 4);
}

function releaseView(wasm: BackendWasm, t: TensorInfo): void {
  const data = wasm.dataIdMap.get(t.dataId)!;
  wasm.wasm.tfjs.disposeData(data.id);
  wasm.dataIdMap.delete(t.dataId);
}

const idOf = (wasm: BackendWasm, t: TensorInfo) => wasm.dataIdMap.get(t.dataId)!.id as number;

/**
 * out[p] = a[p]·b[p] slice by slice, each a batch-1 call of the C++ kernel on views: the
 * operands and the result are views into the batched tensors, so nothing is copied, and the
 * two shapes live on the heap for the whole batch rather than being copied in per call.
 */
function slicedMatMul(wasm: BackendWasm, a: TensorInfo, b: TensorInfo, out: TensorInfo, oneA: boolean, m: number, k: number, n: number): void {
  const module = wasm.wasm as unknown as WasmModule;
  const shapes = module._malloc(6 * 4);
  new Int32Array(module.HEAPU8.buffer, shapes, 6).set([1, m, k, 1, k, n]);
  const batch = size(out.shape.slice(0, -2));
  for (let i = 0; i < batch; i++) {
    const ai = view(wasm, a, oneA ? 0 : i * m * k, [1, m, k]);
    const bi = view(wasm, b, i * k * n, [1, k, n]);
    const yi = view(wasm, out, i * m * n, [1, m, n]);
    module._BatchMatMul(idOf(wasm, ai), shapes, 3, idOf(wasm, bi), shapes + 12, 3, 0, 0, idOf(wasm, yi));
    releaseView(wasm, ai);
    releaseView(wasm, bi);
    releaseView(wasm, yi);
  }
  module._free(shapes);
}

/**
 * op(a)·op(b) on XNNPACK, every operand made plain first: batch-1 flag-free calls of the stock
 * kernel. a: [..., m, k] (or [..., k, m] transposed), b: [..., k, n] (or [..., n, k]).
 */
function plainMatMul(stockMatMul: Kernel, wasm: BackendWasm, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const owned: TensorInfo[] = [];
  const plain = (x: TensorInfo, transposed: boolean) => {
    if (!transposed) return x;
    const t = transposeLast(wasm, x);
    owned.push(t);
    return t;
  };
  const a2 = plain(a, transposeA); // [..., m, k]
  const b2 = plain(b, transposeB); // [..., k, n]
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const n = b2.shape[b2.shape.length - 1]!;
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const flags = { transposeA: false, transposeB: false };
  let out: TensorInfo;
  if (batchB === 1) {
    // A batch against one right operand is one tall matmul: [batchA·m, k]·[k, n].
    out = stockMatMul({ inputs: { a: reshaped(a2, [1, batchA * m, k]), b: reshaped(b2, [1, k, n]) }, backend: wasm, attrs: flags });
  } else {
    out = wasm.makeOutput([batchB, m, n], 'float32');
    slicedMatMul(wasm, a2, b2, out, batchA === 1, m, k, n);
  }
  for (const t of owned) wasm.disposeData(t.dataId);
  return reshaped(out, [Math.max(batchA, batchB), m, n]);
}

/**
 * op(a)·op(b) on XNNPACK directly, transposing the operands that need it, or as (op(b)ᵀ·op(a)ᵀ)ᵀ,
 * transposing the other operands and the result: whichever moves fewer elements. The weight
 * gradient dyᵀ·x, for one, is cheaper as (xᵀ·dy)ᵀ when x is the narrower.
 */
function xnnpackForm(stockMatMul: Kernel, wasm: BackendWasm, a: TensorInfo, b: TensorInfo, d: Dims): TensorInfo {
  const { m, n, transposeA, transposeB } = d;
  const direct = (transposeA ? size(a.shape) : 0) + (transposeB ? size(b.shape) : 0);
  const swapped = (transposeB ? 0 : size(b.shape)) + (transposeA ? 0 : size(a.shape)) + Math.max(d.batchA, d.batchB) * m * n;
  if (direct <= swapped) return plainMatMul(stockMatMul, wasm, a, b, transposeA, transposeB);
  const yT = plainMatMul(stockMatMul, wasm, b, a, !transposeB, !transposeA); // [batch, n, m]
  const y = transposeLast(wasm, yT);
  wasm.disposeData(yT.dataId);
  return y;
}

function broadcastOuter(a: number[], b: number[]): number[] {
  if (size(a) === 1 && size(b) === 1) return a.length >= b.length ? a : b;
  return size(a) === 1 ? b : a;
}

/** The BatchMatMul kernel: `stockMatMul` for what the fast forms do not cover, `route` for the rest. */
export function fastMatMul(stockMatMul: Kernel, route: MatMulRoute): Kernel {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const a = inputs.a!;
    const b = inputs.b!;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    const [p, q] = a.shape.slice(-2) as [number, number];
    const [r, s] = b.shape.slice(-2) as [number, number];
    const d: Dims = { batchA, batchB, m: transposeA ? q : p, k: transposeA ? p : q, n: transposeB ? r : s, transposeA, transposeB };
    const k2 = transposeB ? s : r;
    const unsupported = a.dtype !== 'float32' || b.dtype !== 'float32' || (batchA !== batchB && batchA !== 1 && batchB !== 1);
    // The stock kernel handles (and reports) what the fast forms do not cover.
    if (unsupported || d.k !== k2) return stockMatMul({ inputs, backend, attrs });
    const outShape = [...broadcastOuter(a.shape.slice(0, -2), b.shape.slice(0, -2)), d.m, d.n];
    const simd = simdMatMul(heapMemory(wasm.wasm));
    const path = batchB > 1 ? route.batched : route.twoD;
    if (simd && path === 'simd') {
      const out = wasm.makeOutput(outShape, 'float32');
      simdForm(simd, wasm, a, b, out, d);
      return out;
    }
    return reshaped(xnnpackForm(stockMatMul, wasm, a, b, d), outShape);
  };
}
