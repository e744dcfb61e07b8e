import * as tf from '@tensorflow/tfjs';
import type { AdagradConfig } from './config';
import { addcdiv, addcmul, axpy, negate, slot, stepScalar, type UpdateRule } from './rule';

/**
 * torch.optim.Adagrad (`_single_tensor_adagrad`, dense), step t ≥ 1:
 *   g = g + wd·p
 *   clr = lr / (1 + (t − 1)·lrDecay)
 *   sum = sum + g·g                    (sum starts at initialAccumulatorValue)
 *   p = p − clr·g / (sqrt(sum) + eps)
 */
export function adagradRule(cfg: AdagradConfig): UpdateRule {
  const { eps, weightDecay, lrDecay, initialAccumulatorValue } = cfg;
  return {
    name: 'adagrad',
    slots: ['sum'],
    counted: true,
    nonNegative: ['sum'],
    stepScalars: (step, lr) => [lr / (1 + (step - 1) * lrDecay)], // clr
    update(param, grad, state, scalars) {
      const g = weightDecay !== 0 ? axpy(grad, param, weightDecay) : grad;
      const clr = stepScalar(scalars, 0);
      const sum0 = state ? slot(state, 'sum') : tf.fill(param.shape, initialAccumulatorValue);
      const sum = addcmul(sum0, g, g, 1);
      const std = tf.add(tf.sqrt(sum), eps);
      return { param: addcdiv(param, g, std, negate(clr)), state: { sum } };
    },
  };
}
