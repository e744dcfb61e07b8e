import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/*
 * Kernel overrides for tfjs-backend-wasm 4.22 that keep the engine on XNNPACK. They lean on
 * the backend's internals, pinned by tests/engine/internals/wasmKernels.test.ts:
 *
 * 1. The stock BatchMatMul calls XNNPACK only when neither operand is transposed and both have
 *    a batch of 1; everything else runs a scalar loop about 15× slower. The override
 *    materialises transposes (a tiled copy on the heap), folds a batch against a
 *    shared right operand into one tall matmul, and runs a true batch slice by slice, each
 *    slice a batch-1, flag-free call of the C++ kernel (`_BatchMatMul`) on views; slices too
 *    small to be worth an XNNPACK operator run in a JS loop instead.
 * 2. A slice is a view: `makeOutput(shape, dtype, memoryOffset)` registers a tensor over bytes
 *    that something else owns. A view is released with `releaseView`, which unregisters it
 *    without the `_free` that `disposeData` would call on memory it does not own.
 * 3. `Identity` copies its input; the override shares the data, as the cpu backend does, by
 *    raising the data's reference count (`incRef`).
 * 4. `Sum` over leading axes transposes its input first (a slow copy); the override sums the
 *    columns in place.
 *
 * Temporaries made inside a kernel never reach the engine's bookkeeping, so tf.memory() and
 * tf.profile count exactly the tensors they counted before.
 */

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };
type Kernel = (args: Args) => TensorInfo;

const BACKEND = 'wasm';
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The stock kernel as registered by tfjs-backend-wasm (its setup has run once the backend exists). */
function stock(name: string): Kernel {
  const config = tf.getKernel(name, BACKEND);
  if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel to build on`);
  return config.kernelFunc as unknown as Kernel;
}

interface Stock {
  matMul: Kernel;
  sum: Kernel;
}

/** A tensor info of `shape` over the float32 elements of `of` from element `offset` on, sharing its bytes. */
function view(wasm: BackendWasm, of: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const base = wasm.dataIdMap.get(of.dataId)!.memoryOffset as number;
  return wasm.makeOutput(shape, 'float32', base + offset * 4);
}

function releaseView(wasm: BackendWasm, t: TensorInfo): void {
  const data = wasm.dataIdMap.get(t.dataId)!;
  wasm.wasm.tfjs.disposeData(data.id);
  wasm.dataIdMap.delete(t.dataId);
}

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

const lastTwo = (t: TensorInfo, transposed: boolean): [number, number] => {
  const [p, q] = t.shape.slice(-2) as [number, number];
  return transposed ? [q, p] : [p, q];
};

/**
 * Below this many multiply-adds a slice (m·k·n) costs more to hand to XNNPACK (an operator
 * made and its operand packed per call, several µs) than to compute in JS: measured on
 * attention of the shipped configs (README, "Speed").
 */
const SMALL_SLICE = 4096;

/**
 * out[p] = op(a[p])·op(b[p]) in JS, reading the operands where they lie (no transposed copies):
 * each output is one dot product with float64 accumulation. A batch of one on either side is
 * shared by every slice.
 */
function smallBatchMatMul(
  a: Float32Array, b: Float32Array, out: Float32Array,
  shape: { batchA: number; batchB: number; m: number; k: number; n: number; transposeA: boolean; transposeB: boolean },
): void {
  const { batchA, batchB, m, k, n, transposeA, transposeB } = shape;
  // Strides of op(a)[i, l] and op(b)[l, j] in their slices.
  const [ai, al] = transposeA ? [1, m] : [k, 1];
  const [bl, bj] = transposeB ? [1, k] : [n, 1];
  const batch = Math.max(batchA, batchB);
  for (let p = 0; p < batch; p++) {
    const ao = (batchA === 1 ? 0 : p) * m * k;
    const bo = (batchB === 1 ? 0 : p) * k * n;
    const oo = p * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let l = 0, x = ao + i * ai, y = bo + j * bj; l < k; l++, x += al, y += bl) sum += a[x]! * b[y]!;
        out[oo + i * n + j] = sum;
      }
    }
  }
}

/** The C++ side of tfjs-backend-wasm's BatchMatMul, called without its JS wrapper. */
interface WasmModule {
  _BatchMatMul(aId: number, aShape: number, aRank: number, bId: number, bShape: number, bRank: number, transposeA: number, transposeB: number, outId: number): void;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
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
 * op(a)·op(b) with every operand made plain first: batch-1 flag-free calls of the stock kernel,
 * which XNNPACK runs. a: [..., m, k] (or [..., k, m] transposed), b: [..., k, n] (or [..., n, k]).
 */
function plainMatMul(s: Stock, wasm: BackendWasm, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const owned: TensorInfo[] = [];
  const plain = (x: TensorInfo, transposed: boolean) => {
    if (!transposed) return x;
    const t = transposeLast(wasm, x);
    owned.push(t);
    return t;
  };
  const a2 = plain(a, transposeA); // [..., m, k]
  const b2 = plain(b, transposeB); // [..., k, n]
  const [m, k] = lastTwo(a2, false);
  const [, n] = lastTwo(b2, false);
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const flags = { transposeA: false, transposeB: false };
  let out: TensorInfo;
  if (batchB === 1) {
    // A batch against one right operand is one tall matmul: [batchA·m, k]·[k, n].
    out = s.matMul({ inputs: { a: reshaped(a2, [1, batchA * m, k]), b: reshaped(b2, [1, k, n]) }, backend: wasm, attrs: flags });
  } else {
    out = wasm.makeOutput([batchB, m, n], 'float32');
    slicedMatMul(wasm, a2, b2, out, batchA === 1, m, k, n);
  }
  for (const t of owned) wasm.disposeData(t.dataId);
  return reshaped(out, [Math.max(batchA, batchB), m, n]);
}

function fastMatMul(s: Stock): Kernel {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const a = inputs.a!;
    const b = inputs.b!;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    const [m, k] = lastTwo(a, transposeA);
    const [k2, n] = lastTwo(b, transposeB);
    const unsupported = a.dtype !== 'float32' || b.dtype !== 'float32' || (batchA !== batchB && batchA !== 1 && batchB !== 1);
    // The stock kernel handles (and reports) what the fast forms do not cover.
    if (unsupported || k !== k2) return s.matMul({ inputs, backend, attrs });
    const outShape = [...broadcastOuter(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    const batch = Math.max(batchA, batchB);
    if (batch > 1 && m * k * n <= SMALL_SLICE) {
      const out = wasm.makeOutput(outShape, 'float32');
      const heap = (t: TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
      smallBatchMatMul(heap(a), heap(b), heap(out), { batchA, batchB, m, k, n, transposeA, transposeB });
      return out;
    }
    // y = op(a)·op(b) directly, transposing the operands that need it, or as (op(b)ᵀ·op(a)ᵀ)ᵀ,
    // transposing the other operands and the result: whichever moves fewer elements. The
    // weight gradient dyᵀ·x, for one, is cheaper as (xᵀ·dy)ᵀ when x is the narrower.
    const direct = (transposeA ? size(a.shape) : 0) + (transposeB ? size(b.shape) : 0);
    const swapped = (transposeB ? 0 : size(b.shape)) + (transposeA ? 0 : size(a.shape)) + batch * m * n;
    if (direct <= swapped) return reshaped(plainMatMul(s, wasm, a, b, transposeA, transposeB), outShape);
    const yT = plainMatMul(s, wasm, b, a, !transposeB, !transposeA); // [batch, n, m]
    const y = transposeLast(wasm, yT);
    wasm.disposeData(yT.dataId);
    return reshaped(y, outShape);
  };
}

function broadcastOuter(a: number[], b: number[]): number[] {
  if (size(a) === 1 && size(b) === 1) return a.length >= b.length ? a : b;
  return size(a) === 1 ? b : a;
}

function sharedIdentity({ inputs, backend }: Args): TensorInfo {
  const x = inputs.x!;
  (backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** The number of leading axes `axis` names (0, 1, …, j−1 in any order), or 0 when it names others. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

function fastSum(s: Stock): Kernel {
  return (args) => {
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const j = leadingAxes(axis, x.shape.length);
    if (x.dtype !== 'float32' || j === 0 || j === x.shape.length) return s.sum(args);
    const wasm = args.backend as BackendWasm;
    const rows = size(x.shape.slice(0, j));
    const rest = x.shape.slice(j);
    const cols = size(rest);
    // Column sums in one pass over the rows, accumulated in float64. As a matmul (ones·x) the
    // data would be the operand XNNPACK packs, which costs more than the sum itself.
    const acc = new Float64Array(cols);
    const y = wasm.makeOutput(keepDims ? [...x.shape.slice(0, j).map(() => 1), ...rest] : rest, 'float32');
    const src = wasm.typedArrayFromHeap(x) as Float32Array;
    // Eight rows per pass over the accumulators: a quarter of the loads and stores of one.
    let r = 0;
    for (; r + 8 <= rows; r += 8) {
      for (let c = 0, i = r * cols; c < cols; c++, i++) {
        acc[c]! +=
          src[i]! + src[i + cols]! + (src[i + 2 * cols]! + src[i + 3 * cols]!) +
          (src[i + 4 * cols]! + src[i + 5 * cols]! + (src[i + 6 * cols]! + src[i + 7 * cols]!));
      }
    }
    for (; r < rows; r++) for (let c = 0, i = r * cols; c < cols; c++, i++) acc[c]! += src[i]!;
    (wasm.typedArrayFromHeap(y) as Float32Array).set(acc);
    return y;
  };
}

const config = (kernelName: string, kernelFunc: Kernel): KernelConfig => ({ kernelName, backendName: BACKEND, kernelFunc: kernelFunc as unknown as KernelFunc });

let installed = false;

/**
 * Replaces the wasm backend's BatchMatMul, Identity and Sum with the fast forms above. Call it
 * once the wasm backend is initialised (the stock kernels' setup must have run); later calls
 * do nothing.
 */
export function installWasmKernels(): void {
  if (installed) return;
  const s: Stock = { matMul: stock('BatchMatMul'), sum: stock('Sum') };
  const overrides = [config('BatchMatMul', fastMatMul(s)), config('Identity', sharedIdentity), config('Sum', fastSum(s))];
  for (const o of overrides) {
    tf.unregisterKernel(o.kernelName, BACKEND);
    tf.registerKernel(o);
  }
  installed = true;
}
