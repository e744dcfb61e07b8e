import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import { batchTensors } from '../model/batchTensors';
import { createContext, type ForwardContext } from '../model/context';
import { forwardLogits } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { tokenLoss } from '../model/loss';
import { toBatch } from '../../tasks/batches';
import { PAD, type Batch, type BatchLayout, type Example } from '../../tasks/types';
import { exactMatches, greedyAnswers } from './greedy';

export interface EvalResult {
  /** Teacher-forced mean loss over non-PAD targets. */
  loss: number;
  /** Share of examples whose greedy answer, up to EOS, equals the expected one. */
  exactMatch: number;
  /** Teacher-forced share of non-PAD targets predicted right (argmax). */
  tokenAccuracy: number;
  examples: number;
}

const CHUNK = 128;

/** Held-out metrics; reads back once per chunk, asynchronously. */
export async function evaluate(
  p: ParamLookup,
  cfg: ModelConfig,
  layout: BatchLayout,
  examples: Example[],
  matMul?: ForwardContext['matMul'],
): Promise<EvalResult> {
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul });
  let lossSum = 0;
  let targets = 0;
  let correct = 0;
  let matches = 0;
  for (let start = 0; start < examples.length; start += CHUNK) {
    const chunk = examples.slice(start, start + CHUNK);
    const sums = tf.tidy(() => {
      const { tokens, targets: gold } = batchTensors(toBatch(chunk, layout));
      const logits = forwardLogits(ctx, p, cfg, tokens);
      const { sum, count } = tokenLoss(logits, gold);
      const hits = logits.argMax(-1).cast('int32').equal(gold).logicalAnd(gold.notEqual(PAD)).cast('float32').sum();
      return tf.stack([sum, count, hits]);
    });
    const [s, c, h] = await sums.data();
    sums.dispose();
    lossSum += s!;
    targets += c!;
    correct += h!;
    const longestAnswer = Math.max(...chunk.map((e) => e.answer.length));
    matches += exactMatches(chunk, await greedyAnswers(ctx, p, cfg, chunk.map((e) => e.input), longestAnswer));
  }
  return {
    loss: lossSum / Math.max(1, targets),
    exactMatch: matches / Math.max(1, examples.length),
    tokenAccuracy: correct / Math.max(1, targets),
    examples: examples.length,
  };
}

/** What an evaluation of one given batch finds (`train --batch`). */
export type BatchEvalResult = Omit<EvalResult, 'examples'>;

/**
 * Metrics of one given batch (`train --batch`), teacher-forced, dropout off, one read-back:
 * `exactMatch` is the share of rows whose every non-PAD target is the argmax, which is what
 * greedy decoding would produce from a well-formed row; the batch need not come from a task.
 */
export async function evaluateBatch(p: ParamLookup, cfg: ModelConfig, batch: Batch, matMul?: ForwardContext['matMul']): Promise<BatchEvalResult> {
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul });
  const sums = tf.tidy(() => {
    const { tokens, targets } = batchTensors(batch);
    const logits = forwardLogits(ctx, p, cfg, tokens); // [B, T, V]
    const { sum, count } = tokenLoss(logits, targets);
    const counted = targets.notEqual(PAD); // [B, T]
    const right = logits.argMax(-1).cast('int32').equal(targets).logicalAnd(counted);
    const wrongInRow = counted.logicalAnd(right.logicalNot()).any(1); // [B]
    const rows = counted.any(1); // rows with a target at all
    const matches = rows.logicalAnd(wrongInRow.logicalNot()).cast('float32').sum();
    return tf.stack([sum, count, right.cast('float32').sum(), matches, rows.cast('float32').sum()]);
  });
  const [lossSum, targets, correct, matches, rows] = await sums.data();
  sums.dispose();
  return {
    loss: lossSum! / Math.max(1, targets!),
    exactMatch: matches! / Math.max(1, rows!),
    tokenAccuracy: correct! / Math.max(1, targets!),
  };
}
