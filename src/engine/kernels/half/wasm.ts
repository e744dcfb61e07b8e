import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { packHalfBits, roundHalfBits, unpackHalfBits } from './bits';
import { simdRound } from '../../internals/simdRound';
import { heapMemory } from '../../internals/wasmAsm';
import { PACK_HALF, ROUND_HALF, UNPACK_HALF, packedLength, type HalfAttrs, type UnpackHalfAttrs } from './contract';

/**
 * The wasm backend's kernels, written in JS on the wasm heap as tfjs-backend-wasm's own Cast
 * and Slice kernels are: makeOutput allocates on the heap, typedArrayFromHeap is a view of a
 * tensor's bytes there (TF.js internals, 4.22). No C++ is needed for a bit-twiddling loop.
 */
type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

function heapBits(backend: BackendWasm, t: TensorInfo): Uint32Array {
  const v = backend.typedArrayFromHeap(t);
  return new Uint32Array(v.buffer, v.byteOffset, v.length);
}

/**
 * Allocates the output first, then takes both views: an allocation can grow the wasm memory,
 * which detaches every view taken before it.
 */
function run(
  backend: unknown, input: TensorInfo, shape: number[], dtype: 'float32' | 'int32',
  body: (src: Uint32Array, dst: Uint32Array) => void,
): TensorInfo {
  const wasm = backend as BackendWasm;
  const out = wasm.makeOutput(shape, dtype);
  body(heapBits(wasm, input), heapBits(wasm, out));
  return out;
}

/** The heap's byte offset of a tensor's data (TF.js internals, as typedArrayFromHeap reads it). */
const offsetOf = (wasm: BackendWasm, t: TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset as number;

function roundHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format } = attrs as unknown as HalfAttrs;
  const x = inputs.x!;
  const wasm = backend as BackendWasm;
  const simd = simdRound(heapMemory(wasm.wasm));
  return run(backend, x, x.shape, 'float32', (src, dst) => {
    // Whole vectors of four in SIMD, the rest in JS.
    const whole = simd ? src.length - (src.length % 4) : 0;
    if (simd && whole > 0) simd(offsetOf(wasm, x), dst.byteOffset, whole, format);
    roundHalfBits(src.subarray(whole), dst.subarray(whole), format);
  });
}

function packHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format } = attrs as unknown as HalfAttrs;
  const n = inputs.x!.shape.reduce((a, b) => a * b, 1);
  return run(backend, inputs.x!, [packedLength(n)], 'int32', (src, dst) => packHalfBits(src, dst, format));
}

function unpackHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format, shape } = attrs as unknown as UnpackHalfAttrs;
  return run(backend, inputs.packed!, shape, 'float32', (src, dst) => unpackHalfBits(src, dst, format));
}

const config = (kernelName: string, kernelFunc: (args: Args) => TensorInfo): KernelConfig =>
  ({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc });

export const wasmKernels: KernelConfig[] = [
  config(ROUND_HALF, roundHalf),
  config(PACK_HALF, packHalf),
  config(UNPACK_HALF, unpackHalf),
];
