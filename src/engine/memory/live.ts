import * as tf from '@tensorflow/tfjs';

/** What the backend holds now. */
export interface LiveMemory {
  /** Live tensors (tf.memory().numTensors). */
  tensors: number;
  /** Their bytes: TF.js's count on cpu and wasm; on WebGPU the bytes in GPU buffers in use. */
  bytes: number;
}

/** The backend's live tensors and bytes, from the engine's own bookkeeping: no device read. */
export function liveMemory(): LiveMemory {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return { tensors: m.numTensors, bytes: tf.getBackend() === 'webgpu' ? (m.numBytesInGPU ?? m.numBytes) : m.numBytes };
}
