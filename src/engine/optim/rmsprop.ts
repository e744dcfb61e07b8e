import * as tf from '@tensorflow/tfjs';
import type { RmspropConfig } from './config';
import { addcdiv, addcmul, axpy, slot, type UpdateRule } from './rule';

/**
 * torch.optim.RMSprop (`_single_tensor_rmsprop`):
 *   g = g + wd·p
 *   sq = sq·α + (1 − α)·g·g
 *   centered: ga = ga·α + (1 − α)·g;  avg = sqrt(sq − ga·ga) + eps
 *   else:     avg = sqrt(sq) + eps
 *   momentum > 0: buf = buf·momentum + g/avg;  p = p − lr·buf
 *   else:         p = p − lr·g/avg
 */
export function rmspropRule(cfg: RmspropConfig): UpdateRule {
  const { alpha, eps, weightDecay, momentum, centered } = cfg;
  const slots = ['square_avg'];
  if (momentum > 0) slots.push('momentum_buffer');
  if (centered) slots.push('grad_avg');
  return {
    name: 'rmsprop',
    slots,
    counted: true,
    nonNegative: ['square_avg'],
    stepScalars: () => [],
    update(param, grad, state, _scalars, lr) {
      const zeros = () => tf.zerosLike(param);
      const g = weightDecay !== 0 ? axpy(grad, param, weightDecay) : grad;
      const sq = addcmul(tf.mul(state ? slot(state, 'square_avg') : zeros(), alpha), g, g, 1 - alpha);
      const next: Record<string, tf.Tensor> = { square_avg: sq };
      let avg: tf.Tensor;
      if (centered) {
        const ga = axpy(tf.mul(state ? slot(state, 'grad_avg') : zeros(), alpha), g, 1 - alpha);
        next.grad_avg = ga;
        avg = tf.sqrt(addcmul(sq, ga, ga, -1));
      } else {
        avg = tf.sqrt(sq);
      }
      avg = tf.add(avg, eps);
      if (momentum > 0) {
        const buf = addcdiv(tf.mul(state ? slot(state, 'momentum_buffer') : zeros(), momentum), g, avg, 1);
        next.momentum_buffer = buf;
        return { param: axpy(param, buf, -lr), state: next };
      }
      return { param: addcdiv(param, g, avg, -lr), state: next };
    },
  };
}
