import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { roundOnHeap } from '../half/wasm';
import { ROUNDED_MATMUL, type RoundedMatMulAttrs } from './contract';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

/**
 * The wasm backend's BatchMatMul kernel as registered when it runs (the engine's override once
 * installed, internals/wasmKernels.ts), then the rounding in place over its fresh result: no
 * second tensor is allocated, and the result is rounded while it is still in cache. Measured on
 * the benchmark's fp16 step, this takes the cost of rounding matmul results from about 5% of the
 * step to the rounding's arithmetic alone (README, "Speed").
 */
function roundedMatMul({ inputs, backend, attrs }: Args): TensorInfo {
  const { transposeA, transposeB, format } = attrs as unknown as RoundedMatMulAttrs;
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc as unknown as (args: Args) => TensorInfo;
  const product = matMul({ inputs: { a: inputs.a, b: inputs.b }, backend, attrs: { transposeA, transposeB } as unknown as NamedAttrMap });
  return roundOnHeap(backend as BackendWasm, product, product, format);
}

export const wasmRoundedMatMul: KernelConfig = { kernelName: ROUNDED_MATMUL, backendName: 'wasm', kernelFunc: roundedMatMul as unknown as KernelFunc };
