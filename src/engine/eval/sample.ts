import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import type { ForwardContext } from '../model/context';
import { forwardLogits } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { createRng } from '../../tasks/rng';
import { FIRST_SYMBOL } from '../../tasks/types';

export interface SampleOptions {
  /** How many tokens to generate. */
  tokens: number;
  /** 0: greedy (the most likely token every time); otherwise logits are divided by it. */
  temperature: number;
  /** Draw among the k most likely tokens only; null: among all. */
  topK: number | null;
  /** The same seed gives the same tokens. */
  seed: number;
}

/** Tokens generated between two reads from the device. */
export const SAMPLE_CHUNK = 16;

/**
 * The next token of each row from the last position's logits [B, V]: only ids from FIRST_SYMBOL
 * to `inUse` - 1 (the tokenizer's) are ever drawn; greedy at temperature 0; otherwise inverse-CDF sampling with one uniform number per row
 * (`u` [B, 1]) among the top k: the first token whose cumulative probability exceeds u·total.
 */
function pick(logits: tf.Tensor2D, opts: SampleOptions, inUse: number, u: tf.Tensor2D): tf.Tensor1D {
  const [rows, vocab] = logits.shape;
  const blocked = (n: number) => tf.fill([rows, n], -Infinity);
  const mask = tf.concat([blocked(FIRST_SYMBOL), tf.zeros([rows, inUse - FIRST_SYMBOL]), ...(inUse < vocab ? [blocked(vocab - inUse)] : [])], 1);
  let scores = logits.add(mask) as tf.Tensor2D;
  if (opts.temperature === 0) return scores.argMax(-1).cast('int32') as tf.Tensor1D;
  scores = scores.div(opts.temperature);
  if (opts.topK !== null && opts.topK < vocab) {
    const kth = tf.topk(scores, opts.topK).values.slice([0, opts.topK - 1], [rows, 1]); // [B, 1]
    scores = tf.where(scores.less(kth), tf.fill([rows, vocab], -Infinity), scores);
  }
  const cdf = tf.cumsum(tf.softmax(scores), 1); // [B, V]
  const threshold = cdf.slice([0, vocab - 1], [rows, 1]).mul(u); // [B, 1]
  return cdf.lessEqual(threshold).cast('int32').sum(1).minimum(inUse - 1) as tf.Tensor1D;
}

/**
 * Continues `prompt` (token ids, at least one) by `opts.tokens` tokens drawn from the ids below
 * `inUse` (the tokenizer's size), autoregressively on the device: each step runs the model on the last `contextLength` tokens (positions from 0, as in
 * training) and appends its pick. The generated ids are read back once per SAMPLE_CHUNK tokens and
 * handed to `onChunk` as they arrive; `onChunk` returning false stops early. Dropout is off.
 */
export async function sampleTokens(
  ctx: ForwardContext,
  p: ParamLookup,
  cfg: ModelConfig,
  prompt: ArrayLike<number>,
  contextLength: number,
  inUse: number,
  opts: SampleOptions,
  onChunk?: (ids: Int32Array) => boolean | void,
): Promise<Int32Array> {
  if (prompt.length === 0) throw new Error('sampling needs a prompt of at least one token');
  const window = Math.min(contextLength, cfg.maxLen);
  const start = Array.from(prompt).slice(-window);
  let seq = tf.tensor2d(start, [1, start.length], 'int32');
  const rng = createRng(opts.seed);
  const out = new Int32Array(opts.tokens);
  try {
    for (let done = 0; done < opts.tokens; ) {
      const n = Math.min(SAMPLE_CHUNK, opts.tokens - done);
      // u < 1 - 2^-20 keeps u·total below the total in float32, so a token of probability 0 is never picked.
      const uniforms = Float32Array.from({ length: n }, () => Math.min(rng.next(), 1 - 2 ** -20));
      const picked: tf.Tensor1D[] = [];
      for (let i = 0; i < n; i++) {
        const next = tf.tidy(() => {
          const t = seq.shape[1];
          const logits = forwardLogits(ctx, p, cfg, { tgtIn: seq }); // [1, t, V]
          const last = logits.slice([0, t - 1, 0], [1, 1, cfg.tgtVocabSize]).reshape([1, cfg.tgtVocabSize]) as tf.Tensor2D;
          const id = pick(last, opts, inUse, tf.tensor2d([uniforms[i]!], [1, 1]));
          const longer = tf.concat([seq, id.reshape([1, 1])], 1) as tf.Tensor2D;
          const length = longer.shape[1];
          return { id, seq: length > window ? longer.slice([0, length - window], [1, window]) : longer };
        });
        seq.dispose();
        seq = next.seq;
        picked.push(next.id);
      }
      const chunk = tf.concat(picked);
      tf.dispose(picked);
      const ids = (await chunk.data()) as Int32Array;
      chunk.dispose();
      out.set(ids, done);
      done += n;
      if (onChunk?.(ids) === false) return out.slice(0, done);
    }
    return out;
  } finally {
    seq.dispose();
  }
}
