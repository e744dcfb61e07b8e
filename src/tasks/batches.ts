import { taskDefinition } from './registry';
import type { Batch, BatchLayout, Example, TaskConfig } from './types';
import { BOS, EOS, PAD } from './types';

/** Right-pads every row with PAD to the longest row; the model masks PAD keys and the loss skips PAD targets. */
function padRows(rows: number[][], length = Math.max(0, ...rows.map((r) => r.length))): number[][] {
  return rows.map((r) => [...r, ...new Array<number>(length - r.length).fill(PAD)]);
}

/**
 * Lays examples out as the batch JSON of the reference README (section "Tasks"):
 * - encoder-decoder: src = input EOS, tgtIn = BOS answer, tgtOut = answer EOS;
 * - decoder-only: one sequence tgtIn = BOS input EOS answer, and tgtOut holds PAD under
 *   BOS and the input, so only the answer (and its EOS) counts in the loss;
 * - encoder-only: src = input EOS and tgtOut = answer EOS, one output per input position.
 */
export function toBatch(examples: Example[], layout: BatchLayout): Batch {
  const src = examples.map((e) => [...e.input, EOS]);
  const answerEos = examples.map((e) => [...e.answer, EOS]);
  switch (layout) {
    case 'encoder-decoder':
      return { src: padRows(src), tgtIn: padRows(examples.map((e) => [BOS, ...e.answer])), tgtOut: padRows(answerEos) };
    case 'decoder-only':
      return {
        tgtIn: padRows(examples.map((e) => [BOS, ...e.input, EOS, ...e.answer])),
        tgtOut: padRows(examples.map((e) => [...new Array<number>(e.input.length + 1).fill(PAD), ...e.answer, EOS])),
      };
    case 'encoder-only': {
      examples.forEach((e, row) => {
        if (e.answer.length > e.input.length) {
          throw new Error(`an encoder-only model answers position by position, but row ${row}'s answer (${e.answer.length} tokens) is longer than its input (${e.input.length})`);
        }
      });
      const padded = padRows(src);
      return { src: padded, tgtOut: padRows(answerEos, padded[0]?.length ?? 0) };
    }
  }
}

/**
 * The longest input and answer a task can make. A text task has no such split: it trains
 * decoder-only models on rows of contextLength tokens, which count as both here.
 */
export function longestParts(cfg: TaskConfig): { input: number; answer: number } {
  return cfg.name === 'text' ? { input: cfg.contextLength, answer: cfg.contextLength } : taskDefinition(cfg).longest(cfg);
}

/** The longest row any batch of this task can have in this layout: what the model's maxLen must cover. */
export function sequenceLength(cfg: TaskConfig, layout: BatchLayout): number {
  if (cfg.name === 'text') return cfg.contextLength;
  const { input, answer } = taskDefinition(cfg).longest(cfg);
  switch (layout) {
    case 'encoder-decoder':
      return Math.max(input, answer) + 1;
    case 'decoder-only':
      return input + answer + 2;
    case 'encoder-only':
      return input + 1;
  }
}
