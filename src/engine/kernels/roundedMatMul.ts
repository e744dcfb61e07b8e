import * as tf from '@tensorflow/tfjs';
import { roundHalf, type HalfFormat } from './half';
import { ROUNDED_MATMUL, type RoundedMatMulAttrs } from './roundedMatMul/contract';
import { wasmRoundedMatMul } from './roundedMatMul/wasm';

/**
 * roundHalf(op(a)·op(b)) in one kernel where the backend has one (wasm), so that the unrounded
 * product is never a tensor of its own; elsewhere the two ops. The same values either way, bit
 * for bit: the product is BatchMatMul's, and the rounding ROUND_HALF's. No gradient: autocast's
 * customGrad calls it and supplies its own.
 */
export function roundedMatMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean, format: HalfFormat): tf.Tensor {
  if (!tf.getKernel(ROUNDED_MATMUL, 'wasm')) tf.registerKernel(wasmRoundedMatMul);
  if (!tf.getKernel(ROUNDED_MATMUL, tf.getBackend())) return tf.tidy(() => roundHalf(tf.matMul(a, b, transposeA, transposeB), format));
  const attrs: RoundedMatMulAttrs = { transposeA, transposeB, format };
  return tf.engine().runKernel(ROUNDED_MATMUL, { a, b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
