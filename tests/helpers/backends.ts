import * as tf from '@tensorflow/tfjs';
import { startBackend, type NodeBackend } from '../../src/cli/nodeBackend';

/** The backends every engine suite runs on in Node (WebGPU runs in tests/browser). */
export const NODE_BACKENDS: NodeBackend[] = ['cpu', 'wasm'];

export async function onBackend(name: NodeBackend): Promise<void> {
  if (tf.getBackend() !== name) await startBackend(name);
}
