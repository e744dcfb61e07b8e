import * as tf from '@tensorflow/tfjs';

const PAD = 0;

/**
 * Summed cross-entropy over non-PAD targets and how many there were, so micro-batches can be
 * weighted by their token counts. logits: [B, T, V] (fp32), targets: [B, T] int32.
 */
export function tokenLoss(logits: tf.Tensor, targets: tf.Tensor2D): { sum: tf.Scalar; count: tf.Scalar } {
  const vocab = logits.shape[2]!;
  const logProbs = tf.logSoftmax(logits); // [B, T, V]
  const picked = logProbs.mul(tf.oneHot(targets, vocab)).sum(-1); // [B, T]
  const keep = targets.notEqual(PAD).cast('float32'); // [B, T]
  return { sum: picked.mul(keep).sum().neg() as tf.Scalar, count: keep.sum() as tf.Scalar };
}

/** Mean cross-entropy over the positions whose target is not PAD (the reference's `loss_fn`). */
export function meanTokenLoss(logits: tf.Tensor, targets: tf.Tensor2D): tf.Scalar {
  const { sum, count } = tokenLoss(logits, targets);
  return sum.div(count.maximum(1));
}
