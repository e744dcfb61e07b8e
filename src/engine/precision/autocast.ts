import * as tf from '@tensorflow/tfjs';
import { roundHalf } from '../kernels/half';
import { halfMatMul, halfMatMulShape, hasHalfMatMul, packOperand, type PackedHalf } from '../kernels/halfMatMul';
import { roundedMatMul } from '../kernels/roundedMatMul';
import type { ForwardContext } from '../model/context';
import type { HalfFormat, Precision } from './policy';

/** One product of matMulGrads: op(x)·op(y) on operands of type T (tensors, or packed halves). */
type Product<T> = (x: T, y: T, transposeX: boolean, transposeY: boolean) => tf.Tensor;

/**
 * Gradients of y = op(a)·op(b), op = transpose when the flag is set, for every flag pair:
 * dA' = dy·B'ᵀ by `da` and dB' = A'ᵀ·dy by `db`, transposed back where the operand was.
 */
function matMulGrads<T>(dy: T, a: T, b: T, ta: boolean, tb: boolean, da: Product<T>, db: Product<T>): [tf.Tensor, tf.Tensor] {
  if (!ta && !tb) return [da(dy, b, false, true), db(a, dy, true, false)];
  if (!ta && tb) return [da(dy, b, false, false), db(dy, a, true, false)];
  if (ta && !tb) return [da(b, dy, false, true), db(a, dy, false, false)];
  return [da(b, dy, true, true), db(dy, a, true, true)];
}

/**
 * The same op on WebGPU: operands and incoming gradient packed (two halves per word, which is
 * also what the backward pass keeps: half the bytes), every product a kernel that reads halves
 * and rounds its fp32 sum to half. Equal to the rounding path within one half-ulp (the fp32
 * sums may add in another order).
 */
function packedAutocastMatMul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean, weight: boolean, format: HalfFormat): tf.Tensor {
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
        // dB stays in fp32 when b is a weight (autocastMatMul says why).
        const da: Product<PackedHalf> = (x, y, tx, ty) => halfMatMul(x, y, tx, ty, format);
        const db: Product<PackedHalf> = (x, y, tx, ty) => halfMatMul(x, y, tx, ty, format, { roundOutput: !weight });
        return matMulGrads(pdy, { packed: sa, shape: aShape }, { packed: sb, shape: bShape }, ta, tb, da, db);
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
 *
 * A weight's gradient (`weight`: b is a parameter) sums over every row of the micro-batch, so
 * rounding it per micro-batch would make k micro-batches differ from one batch. It leaves
 * here in fp32; the step rounds each weight's gradient once, summed over its micro-batches
 * (`roundWeightGradient`, train/gradients.ts): with one micro-batch, exactly PyTorch's.
 */
export function autocastMatMul(format: HalfFormat): ForwardContext['matMul'] {
  return (a, b, transposeA = false, transposeB = false, weight = false) => {
    if (hasHalfMatMul() && halfMatMulShape(a.shape, b.shape, transposeA, transposeB)) return packedAutocastMatMul(a, b, transposeA, transposeB, weight, format);
    const op = tf.customGrad((x, y, save) => {
      const a16 = roundHalf(x as tf.Tensor, format);
      const b16 = roundHalf(y as tf.Tensor, format);
      (save as tf.GradSaveFunc)([a16, b16]);
      return {
        value: roundedMatMul(a16, b16, transposeA, transposeB, format),
        gradFunc: (dy, saved) => {
          const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
          const dy16 = roundHalf(dy as tf.Tensor, format);
          const rounded: Product<tf.Tensor> = (x, y, tx, ty) => roundedMatMul(x, y, tx, ty, format);
          return matMulGrads(dy16, sa, sb, transposeA, transposeB, rounded, weight ? (x, y, tx, ty) => tf.matMul(x, y, tx, ty) : rounded);
        },
      };
    });
    return op(a, b) as tf.Tensor;
  };
}

/** The matmul of a policy's `matMul`: none (the plain one) under fp32. Stateless: build it once per run. */
export const matMulFor = (precision: Precision): ForwardContext['matMul'] | undefined =>
  precision === 'fp32' ? undefined : autocastMatMul(precision);

/**
 * Under autocast, a matmul weight's gradient as PyTorch holds it (a half tensor), for the step
 * to apply once to the sum of its micro-batches' fp32 gradients; none under fp32.
 */
export const weightGradientFor = (precision: Precision): ((g: tf.Tensor) => tf.Tensor) | undefined =>
  precision === 'fp32' ? undefined : (g) => roundHalf(g, precision);
