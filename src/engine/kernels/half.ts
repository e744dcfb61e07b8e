import * as tf from '@tensorflow/tfjs';
import { packHalfComposite, roundHalfComposite, unpackHalfComposite } from './half/composite';
import { PACK_HALF, ROUND_HALF, UNPACK_HALF, assertFormat, type HalfFormat } from './half/contract';
import { registerHalfKernels } from './half/register';

/**
 * Half-precision storage for float32 tensors: fp16 (IEEE binary16) or bf16, rounded to
 * nearest-even exactly as torch's .half() / .bfloat16(). On the cpu, wasm and webgpu backends
 * these run custom kernels; on any other backend (webgl) a composite of plain ops that rounds
 * the same but cannot pack (see half/composite.ts).
 */
export { HALF_FORMATS, PACK_HALF, ROUND_HALF, UNPACK_HALF, packedLength, type HalfFormat } from './half/contract';
export { registerHalfKernels } from './half/register';

/** Whether `backend` (default: the current one) runs the kernels rather than the composite. */
export function hasHalfKernels(backend: string = tf.getBackend()): boolean {
  registerHalfKernels();
  return tf.getKernel(ROUND_HALF, backend) != null;
}

function expectDtype(t: tf.Tensor, dtype: tf.DataType, what: string): void {
  if (t.dtype !== dtype) throw new Error(`${what} takes a ${dtype} tensor (got ${t.dtype})`);
}

/** float32 → float32 whose values are fp16 / bf16 values. Gradient: straight-through. */
export function roundHalf(x: tf.Tensor, format: HalfFormat): tf.Tensor {
  assertFormat(format);
  expectDtype(x, 'float32', 'roundHalf');
  if (!hasHalfKernels()) return roundHalfComposite(x, format);
  return tf.engine().runKernel(ROUND_HALF, { x }, { format }) as tf.Tensor;
}

/**
 * float32 of n elements → int32 of ceil(n/2), two halves per element (2i low, 2i+1 high).
 * Opaque: hand it only to unpackHalf, with x's shape. Under the composite fallback it is the
 * rounded float32 values, flat (no memory saving).
 */
export function packHalf(x: tf.Tensor, format: HalfFormat): tf.Tensor {
  assertFormat(format);
  expectDtype(x, 'float32', 'packHalf');
  if (!hasHalfKernels()) return packHalfComposite(x, format);
  return tf.engine().runKernel(PACK_HALF, { x }, { format }) as tf.Tensor;
}

/** packHalf's output → float32 of `shape`. */
export function unpackHalf(packed: tf.Tensor, shape: number[], format: HalfFormat): tf.Tensor {
  assertFormat(format);
  const n = shape.reduce((a, b) => a * b, 1);
  if (packed.dtype === 'float32') {
    if (packed.size !== n) throw new Error(`unpackHalf: ${packed.size} stored values for shape [${shape}]`);
    return unpackHalfComposite(packed, shape);
  }
  expectDtype(packed, 'int32', 'unpackHalf');
  if (packed.size !== Math.ceil(n / 2)) throw new Error(`unpackHalf: ${packed.size} packed words for shape [${shape}]`);
  if (!hasHalfKernels()) throw new Error(`unpackHalf: the ${tf.getBackend()} backend has no kernel to unpack int32 halves`);
  return tf.engine().runKernel(UNPACK_HALF, { packed }, { format, shape }) as tf.Tensor;
}
