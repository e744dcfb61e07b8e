import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import { paramSpecs, type ParamSpec } from '../params';
import { hashSeed } from '../../tasks/rng';

/**
 * Initial values, seeded per parameter name so that adding a layer does not reshuffle the rest.
 * - token embeddings: N(0, 1/dModel), so that E·√dModel has unit variance, the scale of the
 *   positional table (PyTorch's N(0, 1) times √dModel swamps the positions and trains slowly);
 * - learned positions: N(0, 1/2), the RMS of a sinusoidal table;
 * - every Linear weight and packed q/k/v projection: Xavier uniform, as `nn.Transformer` does;
 * - biases 0, LayerNorm weights 1.
 */
export function initialValue(spec: ParamSpec, cfg: Pick<ModelConfig, 'dModel'>, seed: number): tf.Tensor {
  const s = hashSeed(seed, spec.name);
  switch (spec.init) {
    case 'embedding':
      return tf.randomNormal(spec.shape, 0, 1 / Math.sqrt(cfg.dModel), 'float32', s);
    case 'position':
      return tf.randomNormal(spec.shape, 0, Math.SQRT1_2, 'float32', s);
    case 'xavier': {
      const [fanOut, fanIn] = spec.shape as [number, number];
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      return tf.randomUniform(spec.shape, -bound, bound, 'float32', s);
    }
    case 'zeros':
      return tf.zeros(spec.shape);
    case 'ones':
      return tf.ones(spec.shape);
  }
}

export function initialValues(cfg: ModelConfig, seed: number): Map<string, tf.Tensor> {
  return new Map(paramSpecs(cfg).map((spec) => [spec.name, initialValue(spec, cfg, seed)]));
}
