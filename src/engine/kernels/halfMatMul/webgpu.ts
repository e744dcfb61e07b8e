import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { HALF_MATMUL, halfMatMulShape, type HalfMatMulAttrs } from './contract';
import { TILE, halfMatMulShader } from './wgsl';

/**
 * The WebGPU implementation: one WGSL program run through WebGPUBackend.runWebGPUProgram (TF.js
 * internals, 4.22, as kernels/half/webgpu.ts). Built anew for every call: runWebGPUProgram
 * appends the shapes and dtypes to shaderKey.
 */
type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

class HalfMatMulProgram implements WebGPUProgram {
  variableNames = ['a', 'b'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [TILE, TILE, 1];
  uniforms = 'rows : i32, cols : i32, inner : i32,';

  constructor(private readonly attrs: HalfMatMulAttrs, batch: number, m: number, n: number) {
    this.shaderKey = `lab_half_matmul_${attrs.format}_${attrs.read}_${attrs.transposeA}_${attrs.transposeB}_${attrs.roundOutput}`;
    this.outputShape = [batch, m, n];
    this.dispatch = [Math.ceil(n / TILE), Math.ceil(m / TILE), batch];
  }

  getUserCode(): string {
    const a = this.attrs;
    return halfMatMulShader(a.format, a.read, a.transposeA, a.transposeB, a.roundOutput);
  }
}

function halfMatMul({ inputs, backend, attrs }: Args): TensorInfo {
  const at = attrs as unknown as HalfMatMulAttrs;
  const dims = halfMatMulShape(at.aShape, at.bShape, at.transposeA, at.transposeB);
  if (!dims) throw new Error(`${HALF_MATMUL}: shapes [${at.aShape}] and [${at.bShape}] do not fit`);
  const program = new HalfMatMulProgram(at, dims.batch, dims.m, dims.n);
  const uniforms = [{ type: 'int32', data: [dims.m] }, { type: 'int32', data: [dims.n] }, { type: 'int32', data: [dims.k] }];
  const out = (backend as WebGPUBackend).runWebGPUProgram(program, [inputs.a!, inputs.b!], 'float32', uniforms);
  return { ...out, shape: dims.outShape };
}

export const webgpuHalfMatMul: KernelConfig = { kernelName: HALF_MATMUL, backendName: 'webgpu', kernelFunc: halfMatMul as unknown as KernelFunc };
