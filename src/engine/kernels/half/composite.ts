import * as tf from '@tensorflow/tfjs';
import type { HalfFormat } from './contract';

/**
 * The fallback for a backend without these kernels (webgl, or any other), on plain tf ops.
 * Exact wherever the backend's float32 arithmetic is IEEE round-to-nearest-even with
 * subnormals: bit for bit against torch on the cpu backend (all fixture inputs). On WebGL
 * (SwiftShader) fp16 matches too, but float32 subnormal inputs, |x| < 2^-126, may be flushed to
 * ±0 first, which changes bf16 results there (tests/browser checks exactly that much).
 *
 * There is no bit access on such backends (webgl keeps int32 as floats), so pack/unpack store
 * the rounded float32 values unpacked: the same numbers as the packed kernels, but no memory
 * saving.
 */

interface Spec {
  /** Significant bits, the implicit one included. */
  precision: number;
  minNormal: number;
  /** Spacing of the subnormals. */
  step: number;
  /** The smallest magnitude that rounds to infinity (max + half a step: the tie goes to even, inf). */
  overflow: number;
}

const SPECS: Record<HalfFormat, Spec> = {
  fp16: { precision: 11, minNormal: 2 ** -14, step: 2 ** -24, overflow: 65520 },
  bf16: { precision: 8, minNormal: 2 ** -126, step: 2 ** -133, overflow: (2 - 2 ** -8) * 2 ** 127 },
};

/**
 * Veltkamp's split: t − (t − x) with t = (2^s + 1)·x keeps the top 24 − s bits of x, rounded to
 * nearest, ties to even when the arithmetic is (checked against torch's ties on the cpu backend).
 */
function veltkamp(x: tf.Tensor, precision: number): tf.Tensor {
  const t = tf.mul(x, 2 ** (24 - precision) + 1);
  return tf.sub(t, tf.sub(t, x));
}

function roundValues(x: tf.Tensor, format: HalfFormat): tf.Tensor {
  // Broadcasting a scalar against shape [0] gives [1] in TF.js: empty tensors go round it.
  if (x.size === 0) return tf.clone(x);
  return tf.tidy(() => {
    const { precision, minNormal, step, overflow } = SPECS[format];
    const abs = tf.abs(x);
    // (2^s + 1)·x overflows float32 beyond about 2^111: split such values scaled by 2^-64 (exact).
    const big = tf.greaterEqual(abs, 2 ** 64);
    const normal = tf.div(veltkamp(tf.where(big, tf.mul(x, 2 ** -64), x), precision), tf.where(big, 2 ** -64, 1));
    // Below the smallest normal the spacing is fixed: adding 1.5·2^23·step rounds to a multiple
    // of step (its float32 ulp), and subtracting it again is exact.
    const magic = 1.5 * 2 ** 23 * step;
    const tiny = tf.sub(tf.add(abs, magic), magic);
    // Sign back on, -0 included (1/-0 is -inf).
    const negative = tf.logicalOr(tf.less(x, 0), tf.less(tf.div(1, x), 0));
    const subnormal = tf.where(negative, tf.neg(tiny), tiny);
    const inf = tf.where(negative, -Infinity, Infinity);
    return tf.where(tf.greaterEqual(abs, overflow), inf, tf.where(tf.less(abs, minNormal), subnormal, normal));
  });
}

/** roundHalf on plain ops, with the same straight-through gradient as the kernel. */
export function roundHalfComposite(x: tf.Tensor, format: HalfFormat): tf.Tensor {
  const f = tf.customGrad((input) => ({
    value: roundValues(input as tf.Tensor, format),
    gradFunc: (dy) => tf.clone(dy as tf.Tensor),
  }));
  return f(x);
}

/** Not packed: the rounded values as a flat float32 tensor of n elements. */
export function packHalfComposite(x: tf.Tensor, format: HalfFormat): tf.Tensor {
  return tf.tidy(() => tf.reshape(roundValues(x, format), [x.size]));
}

export function unpackHalfComposite(stored: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.reshape(stored, shape);
}
