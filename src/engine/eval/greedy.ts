import * as tf from '@tensorflow/tfjs';
import { architecture, type ModelConfig } from '../config';
import type { ForwardContext } from '../model/context';
import { decode, encode, forwardLogits, generator } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { BOS, EOS, PAD, type Example } from '../../tasks/types';

const padRows = (rows: number[][]) => {
  const width = Math.max(...rows.map((r) => r.length));
  return rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(PAD)]);
};
const int2d = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');

/** Appends the argmax of the last position's logits: [B, t] → [B, t + 1]. */
function extend(tokens: tf.Tensor2D, logits: tf.Tensor): tf.Tensor2D {
  const [b, t, v] = logits.shape as [number, number, number];
  const next = logits.slice([0, t - 1, 0], [b, 1, v]).argMax(-1).cast('int32'); // [B, 1]
  return tf.concat([tokens, next], 1) as tf.Tensor2D;
}

/**
 * Greedy decoding of `steps` tokens per example, all on the device; returns the generated
 * tokens [B, steps] without reading them back. Decoder-only prompts must share a length.
 */
export function generateOnDevice(ctx: ForwardContext, p: ParamLookup, cfg: ModelConfig, inputs: number[][], steps: number): tf.Tensor2D {
  return tf.tidy(() => {
    switch (architecture(cfg)) {
      case 'encoder-decoder': {
        const src = int2d(padRows(inputs.map((x) => [...x, EOS])));
        const memory = encode(ctx, p, cfg, src);
        let out = tf.fill([inputs.length, 1], BOS, 'int32') as tf.Tensor2D;
        for (let i = 0; i < steps; i++) out = extend(out, generator(ctx, p, decode(ctx, p, cfg, src, memory, out)));
        return out.slice([0, 1], [inputs.length, steps]);
      }
      case 'decoder-only': {
        let out = int2d(inputs.map((x) => [BOS, ...x, EOS]));
        const promptLength = out.shape[1];
        for (let i = 0; i < steps; i++) out = extend(out, forwardLogits(ctx, p, cfg, { tgtIn: out }));
        return out.slice([0, promptLength], [inputs.length, steps]);
      }
      case 'encoder-only': {
        const src = int2d(padRows(inputs.map((x) => [...x, EOS])));
        const predicted = forwardLogits(ctx, p, cfg, { src }).argMax(-1).cast('int32') as tf.Tensor2D;
        return predicted.slice([0, 0], [inputs.length, Math.min(steps, src.shape[1])]);
      }
    }
  });
}

/**
 * How many tokens greedy decoding generates for an input of this length: the answer and its
 * EOS, within maxLen (a decoder-only prompt of BOS, the input and EOS shares those positions).
 */
export function decodingBudget(cfg: ModelConfig, inputLength: number, maxAnswer: number): number {
  const steps = Math.min(maxAnswer + 1, cfg.maxLen);
  return architecture(cfg) === 'decoder-only' ? Math.min(steps, cfg.maxLen - inputLength - 1) : steps;
}

/** The tokens before the first EOS; null when no EOS was produced within the budget. */
export function untilEos(tokens: ArrayLike<number>): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === EOS) return out;
    out.push(tokens[i]!);
  }
  return null;
}

/**
 * Greedy answers for each input, at most `maxAnswer` tokens plus EOS. Decoder-only inputs are
 * grouped by length so that no prompt is padded (padding would shift its positions).
 */
export async function greedyAnswers(
  ctx: ForwardContext,
  p: ParamLookup,
  cfg: ModelConfig,
  inputs: number[][],
  maxAnswer: number,
): Promise<(number[] | null)[]> {
  const groups = new Map<number, number[]>();
  inputs.forEach((x, i) => {
    const key = architecture(cfg) === 'decoder-only' ? x.length : 0;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const answers: (number[] | null)[] = new Array<number[] | null>(inputs.length).fill(null);
  for (const [key, members] of groups) {
    const budget = decodingBudget(cfg, key, maxAnswer);
    const generated = generateOnDevice(ctx, p, cfg, members.map((i) => inputs[i]!), budget);
    const values = await generated.data();
    generated.dispose();
    members.forEach((exampleIndex, row) => {
      answers[exampleIndex] = untilEos(values.subarray(row * budget, (row + 1) * budget));
    });
  }
  return answers;
}

export function exactMatches(examples: Example[], answers: (number[] | null)[]): number {
  return examples.filter((e, i) => {
    const a = answers[i];
    return a !== null && a !== undefined && a.length === e.answer.length && a.every((t, j) => t === e.answer[j]);
  }).length;
}
