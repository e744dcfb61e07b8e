import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels } from './internals/wasmKernels';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/**
 * Switches TF.js to `name` and reports whether it took. Registering the WebGPU backend is the
 * caller's business (it needs a browser), and so is pointing the wasm backend at its binaries.
 */
export async function useBackend(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`the ${name} backend could not be initialised`);
  await tf.ready();
  // The engine's matmuls, saved copies and bias gradients stay on XNNPACK (internals/wasmKernels.ts).
  if (name === 'wasm') installWasmKernels();
}
