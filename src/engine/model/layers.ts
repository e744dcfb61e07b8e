import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from './context';

/** Parameters looked up by their PyTorch name; passed explicitly so recomputed segments see them as inputs. */
export type ParamLookup = (name: string) => tf.Tensor;

/** Additive attention bias: 0 where a query may attend, a large negative number where it may not. */
export const MASKED = -1e9;

/** PyTorch's `nn.Linear`: y = x·Wᵀ + b, with W stored [out, in]. x: [..., in] → [..., out]. */
export function linear(ctx: ForwardContext, x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1]!;
  const outDim = weight.shape[0]!;
  const flat = x.reshape([-1, inDim]); // [N, in]
  const y = ctx.matMul(flat, weight, false, true, true).add(bias); // [N, out]
  return y.reshape([...x.shape.slice(0, -1), outDim]);
}

/**
 * LayerNorm over the last axis with the biased variance, as PyTorch computes it, with the
 * analytic backward: it keeps x̂ and 1/σ rather than every intermediate of the forward.
 * With g = dy·w: dx = (g − mean(g) − x̂·mean(g·x̂)) / σ, dw = Σ dy·x̂, db = Σ dy.
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const op = tf.customGrad((input, w, b, save) => {
    const xs = input as tf.Tensor;
    const centred = tf.sub(xs, tf.mean(xs, -1, true)); // [..., d]
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)); // [..., 1]
    const xhat = tf.mul(centred, rstd);
    (save as tf.GradSaveFunc)([xhat, rstd, w as tf.Tensor]);
    return {
      value: tf.add(tf.mul(xhat, w as tf.Tensor), b as tf.Tensor),
      gradFunc: (dy, saved) => {
        const [xh, r, wt] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dyt = dy as tf.Tensor;
        const g = tf.mul(dyt, wt);
        const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))), r);
        const leading = xh.shape.slice(0, -1).map((_, i) => i);
        return [dx, tf.sum(tf.mul(dyt, xh), leading), tf.sum(dyt, leading)];
      },
    };
  });
  return op(x, weight, bias) as tf.Tensor;
}

/** Exact GELU, x·Φ(x) with the erf form (PyTorch's default `approximate='none'`). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
}

export function activate(kind: 'relu' | 'gelu', x: tf.Tensor): tf.Tensor {
  return kind === 'gelu' ? gelu(x) : tf.relu(x);
}

/** [B, T, d] → [B, h, T, d/h] */
function splitHeads(x: tf.Tensor, nHeads: number): tf.Tensor {
  const [b, t, d] = x.shape as [number, number, number];
  return x.reshape([b, t, nHeads, d / nHeads]).transpose([0, 2, 1, 3]);
}

/** [B, h, T, d/h] → [B, T, d] */
function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [b, h, t, hd] = x.shape as [number, number, number, number];
  return x.transpose([0, 2, 1, 3]).reshape([b, t, h * hd]);
}

/**
 * PyTorch's `nn.MultiheadAttention` (batch_first) with packed q/k/v projections.
 * query: [B, Tq, d], keyValue: [B, Tk, d], bias: additive mask broadcastable to [B, h, Tq, Tk],
 * or undefined where every key may be attended to (the forecaster's variate tokens).
 * `site` names the dropout site so a recomputed segment draws the same mask.
 */
export function multiHeadAttention(
  ctx: ForwardContext,
  p: ParamLookup,
  prefix: string,
  query: tf.Tensor,
  keyValue: tf.Tensor,
  bias: tf.Tensor | undefined,
  nHeads: number,
): tf.Tensor {
  const d = query.shape[2]!;
  const inW = p(`${prefix}.in_proj_weight`); // [3d, d]
  const inB = p(`${prefix}.in_proj_bias`); // [3d]
  let qkv: tf.Tensor[];
  if (query === keyValue) {
    qkv = tf.split(linear(ctx, query, inW, inB), 3, 2); // 3 × [B, T, d]
  } else {
    const [wq, wkv] = tf.split(inW, [d, 2 * d], 0);
    const [bq, bkv] = tf.split(inB, [d, 2 * d], 0);
    qkv = [linear(ctx, query, wq!, bq!), ...tf.split(linear(ctx, keyValue, wkv!, bkv!), 2, 2)];
  }
  const [q, k, v] = qkv as [tf.Tensor, tf.Tensor, tf.Tensor];
  const hd = d / nHeads;
  const qh = splitHeads(q, nHeads).div(Math.sqrt(hd)); // [B, h, Tq, hd], scaled before QKᵀ as PyTorch does
  const kh = splitHeads(k, nHeads); // [B, h, Tk, hd]
  const vh = splitHeads(v, nHeads); // [B, h, Tk, hd]
  const products = ctx.matMul(qh, kh, false, true); // [B, h, Tq, Tk]
  const scores = bias ? products.add(bias) : products;
  const weights = ctx.dropout(tf.softmax(scores), `${prefix}.attn`); // [B, h, Tq, Tk]
  ctx.recordAttention?.(prefix, weights);
  const out = mergeHeads(ctx.matMul(weights, vh)); // [B, Tq, d]
  return linear(ctx, out, p(`${prefix}.out_proj.weight`), p(`${prefix}.out_proj.bias`));
}

/** linear2(dropout(act(linear1(x)))), PyTorch's `_ff_block` before its closing dropout. */
export function feedForward(ctx: ForwardContext, p: ParamLookup, prefix: string, x: tf.Tensor, act: 'relu' | 'gelu'): tf.Tensor {
  const hidden = activate(act, linear(ctx, x, p(`${prefix}.linear1.weight`), p(`${prefix}.linear1.bias`))); // [B, T, dFF]
  return linear(ctx, ctx.dropout(hidden, `${prefix}.ff`), p(`${prefix}.linear2.weight`), p(`${prefix}.linear2.bias`));
}

export function norm(p: ParamLookup, prefix: string, x: tf.Tensor, eps: number): tf.Tensor {
  return layerNorm(x, p(`${prefix}.weight`), p(`${prefix}.bias`), eps);
}
