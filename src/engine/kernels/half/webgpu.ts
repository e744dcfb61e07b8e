import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { PACK_HALF, ROUND_HALF, UNPACK_HALF, packedLength, type HalfAttrs, type UnpackHalfAttrs } from './contract';
import { packHalfShader, roundHalfShader, unpackHalfShader } from './wgsl';

/**
 * The WebGPU backend's kernels: WGSL programs run through WebGPUBackend.runWebGPUProgram
 * (TF.js internals, 4.22). Only types are imported from tfjs-backend-webgpu, so this file
 * loads in Node, where that backend never runs.
 */
type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

const WORKGROUP = 64;
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * One flat elementwise program. Built anew for every call: runWebGPUProgram appends the
 * shapes and dtypes to shaderKey, so a reused object would carry the last call's key.
 * Programs see 1-D shapes only, so one pipeline serves every rank.
 */
class HalfProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true; // declares uniforms.size, the output's element count

  constructor(key: string, input: string, outputSize: number, private readonly code: string) {
    this.shaderKey = `lab_half_${key}`;
    this.variableNames = [input];
    this.outputShape = [outputSize];
    this.dispatch = [Math.ceil(outputSize / WORKGROUP), 1, 1];
  }

  getUserCode(): string {
    return this.code;
  }
}

/** Runs `program` on `input` seen as 1-D and hands back the output under `shape`. */
function run(backend: unknown, program: HalfProgram, input: TensorInfo, shape: number[], dtype: DataType): TensorInfo {
  const flat = { ...input, shape: [sizeOf(input.shape)] };
  const out = (backend as WebGPUBackend).runWebGPUProgram(program, [flat], dtype);
  return { ...out, shape };
}

function roundHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format } = attrs as unknown as HalfAttrs;
  const x = inputs.x!;
  const program = new HalfProgram(`round_${format}`, 'x', sizeOf(x.shape), roundHalfShader(format));
  return run(backend, program, x, x.shape, 'float32');
}

function packHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format } = attrs as unknown as HalfAttrs;
  const x = inputs.x!;
  const m = packedLength(sizeOf(x.shape));
  return run(backend, new HalfProgram(`pack_${format}`, 'x', m, packHalfShader(format)), x, [m], 'int32');
}

function unpackHalf({ inputs, backend, attrs }: Args): TensorInfo {
  const { format, shape } = attrs as unknown as UnpackHalfAttrs;
  const program = new HalfProgram(`unpack_${format}`, 'halves', sizeOf(shape), unpackHalfShader(format));
  return run(backend, program, inputs.packed!, shape, 'float32');
}

const config = (kernelName: string, kernelFunc: (args: Args) => TensorInfo): KernelConfig =>
  ({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelFunc });

export const webgpuKernels: KernelConfig[] = [
  config(ROUND_HALF, roundHalf),
  config(PACK_HALF, packHalf),
  config(UNPACK_HALF, unpackHalf),
];
