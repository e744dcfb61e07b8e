import * as tf from '@tensorflow/tfjs';
import { roundHalf } from '../kernels/half';
import { halfMatMul, halfMatMulShape, hasHalfMatMul, packOperand, type PackedHalf } from '../kernels/halfMatMul';
import type { ForwardContext } from '../model/context';
import type { HalfFormat, Precision } from './policy';

/**
 * Gradients of y = op(a)·op(b), op = transpose when the flag is set, for every flag pair:
 * dA' = dy·B'ᵀ and dB' = A'ᵀ·dy, transposed back where the operand was.
 */
function matMulGrads(dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): [tf.Tensor, tf.Tensor] {
  if (!ta && !tb) return [tf.matMul(dy, b, false, true), tf.matMul(a, dy, true, false)];
  if (!ta && tb) return [tf.matMul(dy, b, false, false), tf.matMul(dy, a, true, false)];
  if (ta && !tb) return [tf.matMul(b, dy, false, true), tf.matMul(a, dy, false, false)];
  return [tf.matMul(b, dy, true, true), tf.matMul(dy, a, true, true)];
}

/** matMulGrads on packed half operands: the same products, each read as halves by the kernel. */
function packedMatMulGrads(dy: PackedHalf, a: PackedHalf, b: PackedHalf, ta: boolean, tb: boolean, format: HalfFormat): [tf.Tensor, tf.Tensor] {
  const mm = (x: PackedHalf, y: PackedHalf, tx: boolean, ty: boolean) => halfMatMul(x, y, tx, ty, format);
  if (!ta && !tb) return [mm(dy, b, false, true), mm(a, dy, true, false)];
  if (!ta && tb) return [mm(dy, b, false, false), mm(dy, a, true, false)];
  if (ta && !tb) return [mm(b, dy, false, true), mm(a, dy, false, false)];
  return [mm(b, dy, true, true), mm(dy, a, true, true)];
}

/**
 * The same op on WebGPU: operands and incoming gradient packed (two halves per word, which is
 * also what the backward pass keeps: half the bytes), every product a kernel that reads halves
 * and rounds its fp32 sum to half. Equal to the rounding path within one half-ulp (the fp32
 * sums may add in another order).
 */
function packedAutocastMatMul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean, format: HalfFormat): tf.Tensor {
  const aShape = [...a.shape];
  const bShape = [...b.shape];
  const op = tf.customGrad((x, y, save) => {
    const pa = packOperand(x as tf.Tensor, format);
    const pb = packOperand(y as tf.Tensor, format);
    (save as tf.GradSaveFunc)([pa.packed, pb.packed]);
    return {
      value: halfMatMul(pa, pb, ta, tb, format),
      gradFunc: (dy, saved) => {
        const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
        const pdy = packOperand(dy as tf.Tensor, format);
        return packedMatMulGrads(pdy, { packed: sa, shape: aShape }, { packed: sb, shape: bShape }, ta, tb, format);
      },
    };
  });
  return op(a, b) as tf.Tensor;
}

/**
 * PyTorch's autocast for a matmul-class op, as a GPU runs it: both operands rounded to the
 * half format, products accumulated in fp32, the result stored in the half format. The
 * backward matmuls see half operands too (the incoming gradient is rounded, as an fp16
 * gradient tensor would be) and produce half gradients, which is where fp16 underflows and
 * why loss scaling exists. Element-wise work, LayerNorm, softmax and the loss stay fp32.
 */
export function autocastMatMul(format: HalfFormat): ForwardContext['matMul'] {
  return (a, b, transposeA = false, transposeB = false) => {
    if (hasHalfMatMul() && halfMatMulShape(a.shape, b.shape, transposeA, transposeB)) return packedAutocastMatMul(a, b, transposeA, transposeB, format);
    const op = tf.customGrad((x, y, save) => {
      const a16 = roundHalf(x as tf.Tensor, format);
      const b16 = roundHalf(y as tf.Tensor, format);
      (save as tf.GradSaveFunc)([a16, b16]);
      return {
        value: roundHalf(tf.matMul(a16, b16, transposeA, transposeB), format),
        gradFunc: (dy, saved) => {
          const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
          const dy16 = roundHalf(dy as tf.Tensor, format);
          return matMulGrads(dy16, sa, sb, transposeA, transposeB).map((g) => roundHalf(g, format));
        },
      };
    });
    return op(a, b) as tf.Tensor;
  };
}

/** The matmul of a policy's `matMul`: none (the plain one) under fp32. Stateless: build it once per run. */
export const matMulFor = (precision: Precision): ForwardContext['matMul'] | undefined =>
  precision === 'fp32' ? undefined : autocastMatMul(precision);
