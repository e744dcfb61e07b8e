import * as tf from '@tensorflow/tfjs';

/**
 * What a forward pass needs beyond parameters and tokens: how matmuls run (the precision
 * policy hooks in here), and dropout that is reproducible per (seed, step, micro-batch, site),
 * so a recomputed segment draws exactly the masks its first pass drew.
 */
export interface ForwardContext {
  readonly training: boolean;
  matMul(a: tf.Tensor, b: tf.Tensor, transposeA?: boolean, transposeB?: boolean): tf.Tensor;
  dropout(x: tf.Tensor, site: string): tf.Tensor;
  /** Optional probe for attention maps (try-it panel); called with [B, h, Tq, Tk]. */
  recordAttention?(site: string, weights: tf.Tensor): void;
}

export interface DropoutSeed {
  seed: number;
  step: number;
  micro: number;
}

/** FNV-1a over the site name and the numbers, so every site of every step gets its own stream. */
export function siteSeed(base: DropoutSeed, site: string): number {
  let h = 0x811c9dc5 ^ base.seed;
  const mix = (v: number) => {
    h ^= v & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= (v >>> 8) & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= (v >>> 16) & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= (v >>> 24) & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  mix(base.step);
  mix(base.micro);
  for (let i = 0; i < site.length; i++) mix(site.charCodeAt(i));
  return h >>> 0;
}

/** Inverted dropout with a mask drawn from a seeded stream (TF.js draws it on the CPU side). */
export function seededDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  const keep = tf.randomUniform(x.shape, 0, 1, 'float32', seed).greaterEqual(rate);
  return x.mul(keep.cast('float32')).mul(1 / (1 - rate));
}

export interface ContextOptions {
  dropoutRate: number;
  /** null: evaluation, no dropout. */
  dropoutSeed: DropoutSeed | null;
  matMul?: ForwardContext['matMul'];
  recordAttention?: ForwardContext['recordAttention'];
}

const fp32MatMul: ForwardContext['matMul'] = (a, b, ta = false, tb = false) => tf.matMul(a, b, ta, tb);

export function createContext(opts: ContextOptions): ForwardContext {
  const { dropoutRate, dropoutSeed } = opts;
  const training = dropoutSeed !== null;
  return {
    training,
    matMul: opts.matMul ?? fp32MatMul,
    dropout: (x, site) =>
      training && dropoutRate > 0 ? seededDropout(x, dropoutRate, siteSeed(dropoutSeed!, site)) : x,
    recordAttention: opts.recordAttention,
  };
}
