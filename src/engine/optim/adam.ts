import * as tf from '@tensorflow/tfjs';
import type { AdamConfig, AdamWConfig } from './config';
import { addcdiv, addcmul, axpy, negate, slot, stepScalar, type UpdateRule } from './rule';

/**
 * torch.optim.Adam and AdamW (`_single_tensor_adam(w)`, amsgrad off), step t ≥ 1:
 *   Adam:  g = g + wd·p            (L2, folded into the gradient)
 *   AdamW: p = p·(1 − lr·wd)       (decoupled, before the moments)
 *   m = m·β1 + (1 − β1)·g
 *   v = v·β2 + (1 − β2)·g·g
 *   denom = sqrt(v) / sqrt(1 − β2^t) + eps
 *   p = p − (lr / (1 − β1^t))·m / denom
 */
export function adamRule(cfg: AdamConfig | AdamWConfig): UpdateRule {
  const { name, betas, eps, weightDecay } = cfg;
  const [beta1, beta2] = betas;
  return {
    name,
    slots: ['exp_avg', 'exp_avg_sq'],
    counted: true,
    nonNegative: ['exp_avg_sq'],
    // PyTorch's step_size and bias_correction2_sqrt.
    stepScalars: (step, lr) => [lr / (1 - beta1 ** step), Math.sqrt(1 - beta2 ** step)],
    update(param, grad, state, scalars, lr) {
      let p = param;
      let g = grad;
      if (weightDecay !== 0) {
        if (name === 'adamw') p = tf.mul(p, 1 - lr * weightDecay);
        else g = axpy(g, p, weightDecay);
      }
      const m0 = state ? slot(state, 'exp_avg') : tf.zerosLike(param);
      const v0 = state ? slot(state, 'exp_avg_sq') : tf.zerosLike(param);
      const m = axpy(tf.mul(m0, beta1), g, 1 - beta1);
      const v = addcmul(tf.mul(v0, beta2), g, g, 1 - beta2);
      const denom = tf.add(tf.div(tf.sqrt(v), stepScalar(scalars, 1)), eps);
      return { param: addcdiv(p, m, denom, negate(stepScalar(scalars, 0))), state: { exp_avg: m, exp_avg_sq: v } };
    },
  };
}
