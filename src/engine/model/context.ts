import * as tf from '@tensorflow/tfjs';

/**
 * What a forward pass needs beyond parameters and tokens: how matmuls run (the precision
 * policy hooks in here), and dropout whose masks are drawn per row from a stream keyed by
 * (seed, step, the row's index in the whole optimizer batch, site). A row gets the same mask
 * however the batch is split into micro-batches or padded, so k micro-batches give the update
 * of one batch with dropout on, and a recomputed segment draws exactly the masks its first
 * pass drew.
 */
export interface ForwardContext {
  readonly training: boolean;
  /** `weight`: b is a parameter (a Linear layer's weight), whose gradient the step finishes (`roundWeightGradient`). */
  matMul(a: tf.Tensor, b: tf.Tensor, transposeA?: boolean, transposeB?: boolean, weight?: boolean): tf.Tensor;
  /**
   * Under autocast: rounds a matmul weight's gradient, summed over the step's micro-batches, to
   * the half format (precision/autocast.ts); absent where weight gradients stay fp32.
   */
  readonly roundWeightGradient?: (g: tf.Tensor) => tf.Tensor;
  /** x: [rows, ...]: every tensor a model drops out has the batch's rows on its leading axis. */
  dropout(x: tf.Tensor, site: string): tf.Tensor;
  /** Optional probe for attention maps (try-it panel); called with [B, h, Tq, Tk]. */
  recordAttention?(site: string, weights: tf.Tensor): void;
}

export interface DropoutSeed {
  seed: number;
  step: number;
  /** The index, in the whole optimizer batch, of this micro-batch's first row. */
  firstRow: number;
}

/** One round of FNV-1a over the four bytes of `v`. */
function fnvMix(h: number, v: number): number {
  for (let shift = 0; shift < 32; shift += 8) h = Math.imul(h ^ ((v >>> shift) & 0xff), 0x01000193);
  return h;
}

/** The stream key of a site (FNV-1a over the seed, the step and the site's name); rowKey adds the row. */
function siteKey(seed: number, step: number, site: string): number {
  let h = fnvMix(0x811c9dc5 ^ seed, step);
  for (let i = 0; i < site.length; i++) h = fnvMix(h, site.charCodeAt(i));
  return h >>> 0;
}

/** The key of row `row` (its index in the optimizer batch) at a site. */
const rowKey = (site: number, row: number): number => fnvMix(site, row) >>> 0;

/** MurmurHash3's 32-bit finaliser: a bijection in which every input bit flips every output bit with probability about 1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Steps a coordinate apart by the golden ratio of 2^32, so consecutive coordinates feed fmix32 distant words. */
const WEYL = 0x9e3779b9;
const TO_UNIT = 2 ** -24;

/**
 * Uniform numbers in [0, 1) for a tensor of `shape` whose leading axis holds rows with keys
 * `keys[r]`: element (r, i1, …, in) is a hash of its row's key and its coordinates alone
 * (h ← fmix32(h + i·WEYL) axis by axis; its top 24 bits, exact in float32). So a row draws
 * the same numbers at the same positions whatever the other rows and however far the batch is
 * padded, and a counter-based hash fills the whole tensor in one pass, without a generator's
 * state to carry from row to row.
 */
export function rowUniforms(shape: readonly number[], keys: ArrayLike<number>): Float32Array {
  const [rows, ...inner] = shape;
  if (rows === undefined || keys.length !== rows) throw new Error(`a dropout mask needs one key per row: ${keys.length} keys for shape [${shape.join(', ')}]`);
  const out = new Float32Array(shape.reduce((n, s) => n * s, 1));
  // Every axis but the last folds into a prefix hash, one per run of the last axis.
  let prefixes = Uint32Array.from(keys, fmix32);
  for (const size of inner.slice(0, -1)) {
    const next = new Uint32Array(prefixes.length * size);
    for (let p = 0; p < prefixes.length; p++) for (let i = 0; i < size; i++) next[p * size + i] = fmix32((prefixes[p]! + Math.imul(i, WEYL)) | 0);
    prefixes = next;
  }
  const last = inner.length === 0 ? 1 : inner[inner.length - 1]!;
  for (let p = 0, at = 0; p < prefixes.length; p++) {
    const h = prefixes[p]!;
    for (let i = 0; i < last; i++, at++) out[at] = (fmix32((h + Math.imul(i, WEYL)) | 0) >>> 8) * TO_UNIT;
  }
  return out;
}

/**
 * Inverted dropout with the mask drawn per row (rowUniforms). The uniforms are made on the
 * host, as TF.js's own random ops make theirs, and uploaded once.
 */
export function seededDropout(x: tf.Tensor, rate: number, keys: ArrayLike<number>): tf.Tensor {
  const keep = tf.tensor(rowUniforms(x.shape, keys), x.shape, 'float32').greaterEqual(rate);
  return x.mul(keep.cast('float32')).mul(1 / (1 - rate));
}

/** The row keys of a site for rows firstRow … firstRow + rows − 1 of the optimizer batch. */
export function siteRowKeys(seed: DropoutSeed, site: string, rows: number): Uint32Array {
  const key = siteKey(seed.seed, seed.step, site);
  return Uint32Array.from({ length: rows }, (_, r) => rowKey(key, seed.firstRow + r));
}

export interface ContextOptions {
  dropoutRate: number;
  /** null: evaluation, no dropout. */
  dropoutSeed: DropoutSeed | null;
  matMul?: ForwardContext['matMul'];
  roundWeightGradient?: ForwardContext['roundWeightGradient'];
  recordAttention?: ForwardContext['recordAttention'];
}

const fp32MatMul: ForwardContext['matMul'] = (a, b, ta = false, tb = false) => tf.matMul(a, b, ta, tb);

export function createContext(opts: ContextOptions): ForwardContext {
  const { dropoutRate, dropoutSeed } = opts;
  const training = dropoutSeed !== null;
  return {
    training,
    matMul: opts.matMul ?? fp32MatMul,
    roundWeightGradient: opts.roundWeightGradient,
    dropout: (x, site) =>
      training && dropoutRate > 0 ? seededDropout(x, dropoutRate, siteRowKeys(dropoutSeed!, site, x.shape[0] ?? 1)) : x,
    recordAttention: opts.recordAttention,
  };
}
