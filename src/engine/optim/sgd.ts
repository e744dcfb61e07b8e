import * as tf from '@tensorflow/tfjs';
import type { SgdConfig } from './config';
import { axpy, slot, type UpdateRule } from './rule';

/**
 * torch.optim.SGD (`_single_tensor_sgd`):
 *   d = g + wd·p
 *   buf = d on the first step (no dampening), else buf·momentum + (1 − dampening)·d
 *   d = nesterov ? d + momentum·buf : buf
 *   p = p − lr·d
 */
export function sgdRule(cfg: SgdConfig): UpdateRule {
  const { momentum, dampening, nesterov, weightDecay } = cfg;
  return {
    name: 'sgd',
    slots: momentum !== 0 ? ['momentum_buffer'] : [],
    counted: false,
    nonNegative: [],
    stepScalars: () => [],
    update(param, grad, state, _scalars, lr) {
      let d = weightDecay !== 0 ? axpy(grad, param, weightDecay) : grad;
      const next: Record<string, tf.Tensor> = {};
      if (momentum !== 0) {
        const buf = state ? axpy(tf.mul(slot(state, 'momentum_buffer'), momentum), d, 1 - dampening) : tf.clone(d);
        next.momentum_buffer = buf;
        d = nesterov ? axpy(d, buf, momentum) : buf;
      }
      return { param: axpy(param, d, -lr), state: next };
    },
  };
}
