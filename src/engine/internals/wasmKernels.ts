import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fastMatMul, routeFor, type Args, type Kernel, type MatMulRoute } from './wasmMatMul';

/*
 * Kernel overrides for tfjs-backend-wasm 4.22 that keep the engine off its slow paths. They
 * lean on the backend's internals, pinned by tests/engine/internals/wasmKernels.test.ts:
 *
 * 1. `BatchMatMul`: see wasmMatMul.ts.
 * 2. `Identity` copies its input; the override shares the data, as the cpu backend does, by
 *    raising the data's reference count (`incRef`).
 * 3. `Sum` over leading axes transposes its input first (a slow copy); the override sums the
 *    columns in place.
 * 4. `SplitV` (q, k and v out of one projection) slices element by element; the override copies
 *    each row's piece as one block.
 * 5. `Tile` computes every output element's source index (about 30 ns an element); it is what
 *    `tf.where` with a scalar condition (the optimizer's device-decided step) broadcasts through.
 *    The override copies whole blocks.
 *
 * Temporaries made inside a kernel never reach the engine's bookkeeping, so tf.memory() and
 * tf.profile count exactly the tensors they counted before. A kernel takes the heap's typed
 * views only after its last allocation: an allocation can grow the heap and detach them.
 */

const BACKEND = 'wasm';
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The stock kernel as registered by tfjs-backend-wasm (its setup has run once the backend exists). */
function stock(name: string): Kernel {
  const config = tf.getKernel(name, BACKEND);
  if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel to build on`);
  return config.kernelFunc as unknown as Kernel;
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

function fastSum(stockSum: Kernel): Kernel {
  return (args) => {
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const j = leadingAxes(axis, x.shape.length);
    if (x.dtype !== 'float32' || j === 0 || j === x.shape.length) return stockSum(args);
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

type MultiKernel = (args: Args) => TensorInfo[];

/** SplitV of a float32 tensor: each output is `outer` blocks of its own width copied from the input's rows. */
function fastSplitV(stockSplit: MultiKernel): MultiKernel {
  return (args) => {
    const x = args.inputs.x!;
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const rank = x.shape.length;
    const at = axis < 0 ? axis + rank : axis;
    const length = x.shape[at]!;
    const sizes = Array.isArray(numOrSizeSplits) ? numOrSizeSplits : new Array<number>(numOrSizeSplits).fill(length / numOrSizeSplits);
    if (x.dtype !== 'float32' || sizes.some((n) => !Number.isInteger(n) || n < 0) || sizes.reduce((a, b) => a + b, 0) !== length) {
      return stockSplit(args);
    }
    const wasm = args.backend as BackendWasm;
    const outer = size(x.shape.slice(0, at));
    const inner = size(x.shape.slice(at + 1));
    const outputs = sizes.map((n) => wasm.makeOutput([...x.shape.slice(0, at), n, ...x.shape.slice(at + 1)], 'float32'));
    const src = wasm.typedArrayFromHeap(x) as Float32Array;
    const row = length * inner;
    let start = 0;
    outputs.forEach((out, i) => {
      const width = sizes[i]! * inner;
      const dst = wasm.typedArrayFromHeap(out) as Float32Array;
      for (let o = 0; o < outer; o++) dst.set(src.subarray(o * row + start, o * row + start + width), o * width);
      start += width;
    });
    return outputs;
  };
}

/** Copies the `length` values at `start` so that they appear `times` times in a row, doubling each pass. */
function repeatBlock(data: Float32Array | Int32Array | Uint8Array, start: number, length: number, times: number): void {
  const total = length * times;
  for (let filled = length; filled < total; ) {
    const n = Math.min(filled, total - filled);
    data.copyWithin(start + filled, start, start + n);
    filled += n;
  }
}

/**
 * Tile in blocks: each input row is placed where it lands in the output and repeated along the
 * last axis; then, from the innermost axis out, each finished block is repeated along its axis.
 */
function fastTile(stockTile: Kernel): Kernel {
  return (args) => {
    const x = args.inputs.x!;
    const { reps } = args.attrs as unknown as { reps: number[] };
    const rank = x.shape.length;
    if (!['float32', 'int32', 'bool'].includes(x.dtype) || rank === 0 || size(x.shape) === 0 || reps.some((r) => r < 1)) return stockTile(args);
    const wasm = args.backend as BackendWasm;
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const out = wasm.makeOutput(outShape, x.dtype);
    const src = wasm.typedArrayFromHeap(x) as Float32Array | Int32Array | Uint8Array;
    const dst = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array | Uint8Array;
    // outStrides[a]: the output elements one step along axis a spans.
    const outStrides = outShape.map((_, a) => size(outShape.slice(a + 1)));
    const rowLength = x.shape[rank - 1]!;
    const prefix = new Array<number>(rank - 1).fill(0);
    for (let row = 0; row < src.length / rowLength; row++) {
      const at = prefix.reduce((sum, i, a) => sum + i * outStrides[a]!, 0);
      dst.set(src.subarray(row * rowLength, (row + 1) * rowLength), at);
      repeatBlock(dst, at, rowLength, reps[rank - 1]!);
      for (let a = rank - 2; a >= 0 && ++prefix[a]! === x.shape[a]; a--) prefix[a] = 0;
    }
    for (let axis = rank - 2; axis >= 0; axis--) {
      const blocks = size(x.shape.slice(0, axis));
      const outer = new Array<number>(axis).fill(0);
      for (let b = 0; b < blocks; b++) {
        const at = outer.reduce((sum, i, a) => sum + i * outStrides[a]!, 0);
        repeatBlock(dst, at, x.shape[axis]! * outStrides[axis]!, reps[axis]!);
        for (let a = axis - 1; a >= 0 && ++outer[a]! === x.shape[a]; a--) outer[a] = 0;
      }
    }
    return out;
  };
}

const config = (kernelName: string, kernelFunc: Kernel | MultiKernel): KernelConfig => ({ kernelName, backendName: BACKEND, kernelFunc: kernelFunc as unknown as KernelFunc });

/** The stock kernels, taken once, before the first override replaces them. */
let stockKernels: { matMul: Kernel; sum: Kernel; splitV: MultiKernel; tile: Kernel } | null = null;
let installedRoute: MatMulRoute | null = null;

/**
 * Replaces the wasm backend's BatchMatMul, Identity, Sum, SplitV and Tile with the fast forms above,
 * the matmuls routed for XNNPACK's thread count unless `route` says otherwise. Call it once the
 * wasm backend is initialised (the stock kernels' setup must have run); a call with the route
 * already installed does nothing.
 */
export function installWasmKernels(route: MatMulRoute = routeFor(getThreadsCount())): void {
  if (installedRoute && installedRoute.batched === route.batched && installedRoute.twoD === route.twoD) return;
  stockKernels ??= { matMul: stock('BatchMatMul'), sum: stock('Sum'), splitV: stock('SplitV') as unknown as MultiKernel, tile: stock('Tile') };
  const s = stockKernels;
  const overrides = [
    config('BatchMatMul', fastMatMul(s.matMul, route)),
    config('Identity', sharedIdentity),
    config('Sum', fastSum(s.sum)),
    config('SplitV', fastSplitV(s.splitV)),
    config('Tile', fastTile(s.tile)),
  ];
  for (const o of overrides) {
    tf.unregisterKernel(o.kernelName, BACKEND);
    tf.registerKernel(o);
  }
  installedRoute = route;
}
