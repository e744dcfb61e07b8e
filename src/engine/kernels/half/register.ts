import * as tf from '@tensorflow/tfjs';
import { ROUND_HALF } from './contract';
import { cpuKernels } from './cpu';
import { wasmKernels } from './wasm';
import { webgpuKernels } from './webgpu';

const KERNELS = [...cpuKernels, ...wasmKernels, ...webgpuKernels];

/**
 * Registers the cpu, wasm and WebGPU kernels and roundHalf's gradient. Registering for a
 * backend that is not loaded is harmless (the registry is keyed by name only). Idempotent:
 * what is already registered is left alone, so TF.js logs no duplicate warnings.
 */
export function registerHalfKernels(): void {
  for (const kernel of KERNELS) {
    if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
  }
  if (!tf.getGradient(ROUND_HALF)) {
    // Straight-through: the rounding is treated as the identity in the backward pass.
    tf.registerGradient({ kernelName: ROUND_HALF, gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) });
  }
}
