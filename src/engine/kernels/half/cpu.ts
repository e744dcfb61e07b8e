import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, backend_util } from '@tensorflow/tfjs';
import { packHalfBits, roundHalfBits, unpackHalfBits } from './bits';
import { PACK_HALF, ROUND_HALF, UNPACK_HALF, packedLength, type HalfAttrs, type UnpackHalfAttrs } from './contract';

/**
 * The cpu backend's kernels. The part of tfjs-backend-cpu's MathBackendCPU used here (TF.js
 * internals): readSync hands back the tensor's own JS typed array, without a copy, and
 * makeTensorInfo stores a new one.
 */
interface CpuBackend {
  readSync(dataId: object): backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: DataType, values: backend_util.BackendValues): TensorInfo;
}

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

/** The same memory seen as raw 32-bit patterns: the rounding works on bits. */
const bitsOf = (v: Float32Array | Int32Array) => new Uint32Array(v.buffer, v.byteOffset, v.length);

/**
 * A float32 tensor's values can sit in another typed array: Cast from int32 shares the int32
 * data on this backend. Those are converted, never reinterpreted.
 */
function read(backend: unknown, t: TensorInfo): Uint32Array {
  const values = (backend as CpuBackend).readSync(t.dataId) as Float32Array | Int32Array;
  if (t.dtype === 'float32' && !(values instanceof Float32Array)) return bitsOf(Float32Array.from(values));
  return bitsOf(values);
}

function roundHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const src = read(backend, inputs.x!);
  const out = new Float32Array(src.length);
  roundHalfBits(src, bitsOf(out), (attrs as unknown as HalfAttrs).format);
  return (backend as CpuBackend).makeTensorInfo(inputs.x!.shape, 'float32', out);
}

function packHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const src = read(backend, inputs.x!);
  const out = new Int32Array(packedLength(src.length));
  packHalfBits(src, bitsOf(out), (attrs as unknown as HalfAttrs).format);
  return (backend as CpuBackend).makeTensorInfo([out.length], 'int32', out);
}

function unpackHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format, shape } = attrs as unknown as UnpackHalfAttrs;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  unpackHalfBits(read(backend, inputs.packed!), bitsOf(out), format);
  return (backend as CpuBackend).makeTensorInfo(shape, 'float32', out);
}

const config = (kernelName: string, kernelFunc: (args: Args) => TensorInfo): KernelConfig =>
  ({ kernelName, backendName: 'cpu', kernelFunc: kernelFunc as unknown as KernelFunc });

export const cpuKernels: KernelConfig[] = [
  config(ROUND_HALF, roundHalf),
  config(PACK_HALF, packHalf),
  config(UNPACK_HALF, unpackHalf),
];
