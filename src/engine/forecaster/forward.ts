import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../model/context';
import { encoderLayer, runPlainly, type StackRunner } from '../model/forward';
import { linear, norm, type ParamLookup } from '../model/layers';
import type { ForecasterConfig } from './config';

/** iTransformer's window statistics: the population variance plus this, under the root. */
const NORM_EPS = 1e-5;

/**
 * The forecast [B, H, N] for inputs x [B, L, N] (`LabForecaster.forward`): per-window, per-variate
 * normalisation (useNorm), each variate's window embedded as one token (Linear L → dModel),
 * dropout, encoder layers over the N variate tokens (no mask, no positions), the final norm, the
 * projector (Linear dModel → H), and the normalisation undone.
 */
export function forecast(ctx: ForwardContext, p: ParamLookup, cfg: ForecasterConfig, x: tf.Tensor3D, run: StackRunner = runPlainly): tf.Tensor3D {
  const [b, l, n] = x.shape;
  if (l !== cfg.lookback || n !== cfg.nVariates) {
    throw new Error(`inputs of ${l} rows × ${n} variates do not fit this forecaster (lookback ${cfg.lookback}, nVariates ${cfg.nVariates})`);
  }
  let input: tf.Tensor = x;
  let mean: tf.Tensor | undefined;
  let std: tf.Tensor | undefined;
  if (cfg.useNorm) {
    mean = tf.mean(x, 1, true); // [B, 1, N]
    const centred = tf.sub(x, mean);
    std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 1, true), NORM_EPS)); // [B, 1, N]
    input = tf.div(centred, std);
  }
  const tokens = tf.transpose(input, [0, 2, 1]); // [B, N, L]
  const embedded = ctx.dropout(linear(ctx, tokens, p('embed.weight'), p('embed.bias')), 'embed'); // [B, N, d]
  const layers = Array.from({ length: cfg.nLayers }, (_, i) => encoderLayer(ctx, cfg, `encoder.layers.${i}`));
  const h = norm(p, 'encoder.norm', run(layers, embedded, [], p), cfg.layerNormEps); // [B, N, d]
  const projected = tf.transpose(linear(ctx, h, p('projector.weight'), p('projector.bias')), [0, 2, 1]); // [B, H, N]
  const y = mean && std ? tf.add(tf.mul(projected, std), mean) : projected;
  return tf.reshape(y, [b, cfg.horizon, n]) as tf.Tensor3D;
}

/** Summed squared error over every predicted value: the MSE's numerator. */
export function squaredErrorSum(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.sum(tf.square(tf.sub(prediction, target))) as tf.Scalar;
}
