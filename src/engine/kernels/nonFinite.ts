import * as tf from '@tensorflow/tfjs';
import { NON_FINITE_COUNT } from './nonFinite/contract';
import { wasmNonFiniteCount } from './nonFinite/wasm';

/**
 * How many of `tensors` (float32) hold an infinity or a NaN, as a float32 scalar on the device:
 * GradScaler's overflow check over a step's gradients. One kernel where the backend has one
 * (wasm); elsewhere IsFinite and All per tensor, each tensor's mask freed before the next is
 * made. The same count either way.
 */
export function nonFiniteCount(tensors: tf.Tensor[]): tf.Scalar {
  for (const t of tensors) if (t.dtype !== 'float32') throw new Error(`nonFiniteCount takes float32 tensors (got ${t.dtype})`);
  if (tensors.length === 0) return tf.scalar(0);
  if (!tf.getKernel(NON_FINITE_COUNT, 'wasm')) tf.registerKernel(wasmNonFiniteCount);
  if (tf.getKernel(NON_FINITE_COUNT, tf.getBackend())) return tf.engine().runKernel(NON_FINITE_COUNT, tensors as unknown as tf.NamedTensorMap) as tf.Scalar;
  // Stacked, not added with addN: WebGPU's AddN binds every input at once (optim/clip.ts).
  return tf.tidy(() => tf.sum(tf.stack(tensors.map((t) => tf.tidy(() => t.isFinite().all()))).logicalNot().cast('float32')) as tf.Scalar);
}
