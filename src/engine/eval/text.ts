import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import { batchTensors } from '../model/batchTensors';
import { createContext, type ForwardContext } from '../model/context';
import { forwardLogits } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { tokenLoss } from '../model/loss';
import { windowBatch, type TextData } from '../../tasks/text/data';

export interface TextEvalResult {
  /** Mean cross-entropy in nats per target token. */
  loss: number;
  /** Total nats / ln 2 / characters of the target tokens. */
  bitsPerChar: number;
  /** Share of target tokens predicted right (argmax). */
  tokenAccuracy: number;
  tokens: number;
  characters: number;
}

/** Logits per chunk stay near 16 MiB whatever the vocabulary. */
const CHUNK_ELEMENTS = 2 ** 22;

/**
 * Held-out metrics of a text task over the validation windows starting at `starts` (every target
 * counts); reads back once per chunk of windows, asynchronously.
 */
export async function evaluateText(
  p: ParamLookup,
  cfg: ModelConfig,
  data: TextData,
  starts: readonly number[],
  matMul?: ForwardContext['matMul'],
): Promise<TextEvalResult> {
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul });
  const rows = Math.max(1, Math.floor(CHUNK_ELEMENTS / (data.contextLength * cfg.tgtVocabSize)));
  let nats = 0;
  let tokens = 0;
  let hits = 0;
  let characters = 0;
  for (let first = 0; first < starts.length; first += rows) {
    const batch = windowBatch(data, starts.slice(first, first + rows));
    const sums = tf.tidy(() => {
      const { tokens: inputs, targets } = batchTensors(batch);
      const logits = forwardLogits(ctx, p, cfg, inputs); // [rows, T, V]
      const { sum, count } = tokenLoss(logits, targets);
      const right = logits.argMax(-1).cast('int32').equal(targets).cast('float32').sum();
      return tf.stack([sum, count, right]);
    });
    const [s, c, h] = await sums.data();
    sums.dispose();
    nats += s!;
    tokens += c!;
    hits += h!;
    for (const row of batch.tgtOut) for (const id of row) characters += data.tokenizer.tokenLength[id]!;
  }
  return {
    loss: nats / Math.max(1, tokens),
    bitsPerChar: nats / Math.LN2 / Math.max(1, characters),
    tokenAccuracy: hits / Math.max(1, tokens),
    tokens,
    characters,
  };
}
