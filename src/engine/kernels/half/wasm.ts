import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { packHalfBits, roundHalfBits, unpackHalfBits } from './bits';
import { simdHalf, type HeapHalf } from '../../internals/simdHalf';
import { heapBits, heapMemory, heapOffset } from '../../internals/wasmAsm';
import { PACK_HALF, ROUND_HALF, UNPACK_HALF, packedLength, type HalfAttrs, type UnpackHalfAttrs } from './contract';

/**
 * The wasm backend's kernels, written in JS on the wasm heap as tfjs-backend-wasm's own Cast
 * and Slice kernels are: makeOutput allocates on the heap, typedArrayFromHeap is a view of a
 * tensor's bytes there (TF.js internals, 4.22). No C++ is needed for a bit-twiddling loop.
 */
type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

/**
 * Runs `simd` on the whole groups of n values, from the heap offsets of `input` and `out`, and
 * `rest` (bits.ts's loop) on what is left, or on everything where SIMD cannot be made; a group of
 * eight values takes `words.in` words of the input and `words.out` of the output. The views are
 * taken after `out` was allocated: an allocation can grow the wasm memory, which detaches every
 * view taken before it.
 */
function convert(
  wasm: BackendWasm, input: TensorInfo, out: TensorInfo, n: number, words: { in: number; out: number },
  simd: (half: HeapHalf, src: number, dst: number, n: number) => void, rest: (src: Uint32Array, dst: Uint32Array) => void,
): TensorInfo {
  const half = simdHalf(heapMemory(wasm.wasm));
  const groups = half ? Math.floor(n / half.group) : 0;
  if (half && groups > 0) simd(half, heapOffset(wasm, input), heapOffset(wasm, out), groups * half.group);
  rest(heapBits(wasm, input).subarray(groups * words.in), heapBits(wasm, out).subarray(groups * words.out));
  return out;
}

/**
 * `x`'s values rounded into `out`, a float32 tensor of x's size on the same heap; `out` may be
 * `x` itself, for a kernel that rounds a result it has just made (roundedMatMul/wasm.ts).
 */
export function roundOnHeap(wasm: BackendWasm, x: TensorInfo, out: TensorInfo, format: HalfAttrs['format']): TensorInfo {
  const n = x.shape.reduce((a, b) => a * b, 1);
  return convert(wasm, x, out, n, { in: 8, out: 8 },
    (half, src, dst, count) => half.round(src, dst, count, format), (src, dst) => roundHalfBits(src, dst, format));
}

function roundHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const x = inputs.x!;
  const wasm = backend as BackendWasm;
  return roundOnHeap(wasm, x, wasm.makeOutput(x.shape, 'float32'), (attrs as unknown as HalfAttrs).format);
}

function packHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format } = attrs as unknown as HalfAttrs;
  const x = inputs.x!;
  const wasm = backend as BackendWasm;
  const n = x.shape.reduce((a, b) => a * b, 1);
  return convert(wasm, x, wasm.makeOutput([packedLength(n)], 'int32'), n, { in: 8, out: 4 },
    (half, src, dst, count) => half.pack(src, dst, count, format), (src, dst) => packHalfBits(src, dst, format));
}

function unpackHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format, shape } = attrs as unknown as UnpackHalfAttrs;
  const wasm = backend as BackendWasm;
  const n = shape.reduce((a, b) => a * b, 1);
  return convert(wasm, inputs.packed!, wasm.makeOutput(shape, 'float32'), n, { in: 4, out: 8 },
    (half, src, dst, count) => half.unpack(src, dst, count, format), (src, dst) => unpackHalfBits(src, dst, format));
}

const config = (kernelName: string, kernelFunc: (args: Args) => TensorInfo): KernelConfig =>
  ({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc });

export const wasmKernels: KernelConfig[] = [
  config(ROUND_HALF, roundHalf),
  config(PACK_HALF, packHalf),
  config(UNPACK_HALF, unpackHalf),
];
