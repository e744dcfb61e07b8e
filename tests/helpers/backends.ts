import * as tf from '@tensorflow/tfjs';
import { startBackend, webgpuAdapter, type NodeBackend } from '../../src/cli/nodeBackend';

/**
 * The backends every engine suite runs on in Node: cpu, wasm, and WebGPU through Dawn (a GPU
 * where the machine has one, else SwiftShader; see src/cli/webgpu.ts). The page-only suites
 * live in tests/browser.
 */
export const NODE_BACKENDS: NodeBackend[] = ['cpu', 'wasm', 'webgpu'];

export async function onBackend(name: NodeBackend): Promise<void> {
  if (tf.getBackend() !== name) await startBackend(name);
}

/** Whether the current backend is WebGPU on SwiftShader (a CPU): where suites shrink their inputs. */
export const onSwiftShader = (): boolean => {
  if (tf.getBackend() !== 'webgpu') return false;
  return /swiftshader/i.test(webgpuAdapter()?.description ?? '') || webgpuAdapter()?.architecture === 'swiftshader';
};

/** A case's time limit on a backend: SwiftShader (WebGPU on the CPU) runs the same case many times slower. */
export const timeLimit = (backend: NodeBackend): number | undefined => (backend === 'webgpu' ? 300_000 : undefined);
