import * as tf from '@tensorflow/tfjs';

/**
 * torch.nn.utils.clip_grad_norm_ (2-norm): the total norm is the 2-norm of the per-tensor
 * 2-norms; every gradient is multiplied by min(maxNorm / (norm + 1e-6), 1). Nothing is read
 * back: `norm` stays on the device (the caller owns and disposes it).
 *
 * With `maxNorm` null or 0 the very same `grads` map comes back (no clipping). Otherwise the
 * map holds new tensors, the caller's to dispose, and `grads` is left as it was.
 */
export function clipGradNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number | null,
): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  if (maxNorm !== null && (!Number.isFinite(maxNorm) || maxNorm < 0)) {
    throw new RangeError(`clipGradNorm: maxNorm must be finite and ≥ 0, or null (got ${maxNorm})`);
  }
  // sqrt(Σ sum(g²)) equals the norm of the per-tensor norms; tf.norm would go through Abs and
  // Pow. The squares are stacked, not added with addN: WebGPU's AddN binds every input at once,
  // past what an adapter allows for a model's worth of tensors.
  const norm = tf.tidy(() => {
    const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    return squares.length === 0 ? tf.scalar(0) : (tf.sqrt(tf.sum(tf.stack(squares))) as tf.Scalar);
  });
  if (!maxNorm) return { grads: grads instanceof Map ? grads : new Map(grads), norm };
  const coef = tf.tidy(() => tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)), 1));
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, coef));
  coef.dispose();
  return { grads: clipped, norm };
}
