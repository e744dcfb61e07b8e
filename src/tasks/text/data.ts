/**
 * A text as the trainer reads it (reference README, "Tasks", text): token ids in one typed array,
 * the first floor(0.9·n) for training and the rest for validation. A training row is T + 1
 * consecutive tokens at an offset drawn from the run's seeded stream; validation runs over the
 * consecutive non-overlapping windows of T + 1 tokens of the validation part, from its start.
 */
import { ConfigError } from '../../engine/validation';
import { createRng, type Rng } from '../rng';
import type { Batch } from '../types';
import type { LearnOptions } from './bpe';
import { sourceField } from './source';
import { trainTokenCount, windowShortage, type TextTaskConfig } from './task';
import { Tokenizer } from './tokenizer';

export interface TextData {
  tokenizer: Tokenizer;
  /** The whole text's token ids. */
  ids: Int32Array;
  /** The first `trainTokens` ids train; the rest validate. */
  trainTokens: number;
  contextLength: number;
}

/** The first floor(0.9·n) characters: the training part that bpe merges are learned on. */
export function trainingCharacters(text: string): string {
  const chars = [...text];
  return chars.slice(0, trainTokenCount(chars.length)).join('');
}

/**
 * Tokenizes a text for a task config: with the given tokenizer (one a weights file carries), or
 * with a new one (char: every character; bpe: merges learned on the first 90% of the characters,
 * the split the char tokens give). Refuses a text too short for one window per part.
 */
export function prepareTextData(cfg: TextTaskConfig, text: string, opts: { tokenizer?: Tokenizer; onProgress?: LearnOptions['onProgress'] } = {}): TextData {
  const field = sourceField(cfg);
  const tokenizer = opts.tokenizer ?? (cfg.tokenizer === 'char' ? Tokenizer.chars(text) : Tokenizer.bpe(text, trainingCharacters(text), cfg.vocabSize, opts));
  const ids = tokenizer.encode(text, field);
  const short = windowShortage(ids.length, cfg.contextLength);
  if (short) throw new ConfigError([{ path: field, message: short }]);
  return { tokenizer, ids, trainTokens: trainTokenCount(ids.length), contextLength: cfg.contextLength };
}

/** A batch of windows starting at `starts`: tgtIn the first T tokens, tgtOut the last T. */
export function windowBatch(data: TextData, starts: readonly number[]): Batch {
  const t = data.contextLength;
  return {
    tgtIn: starts.map((s) => Array.from(data.ids.subarray(s, s + t))),
    tgtOut: starts.map((s) => Array.from(data.ids.subarray(s + 1, s + t + 1))),
  };
}

/** Training windows: offsets uniform over the training part, from the seed's `train` stream. */
export class TrainWindows {
  private readonly rng: Rng;

  constructor(private readonly data: TextData, seed: number) {
    this.rng = createRng(seed).fork('train');
  }

  /** The offsets of the next `rows` windows. */
  nextStarts(rows: number): number[] {
    const last = this.data.trainTokens - (this.data.contextLength + 1);
    return Array.from({ length: rows }, () => this.rng.int(0, last));
  }

  next(rows: number): Batch {
    return windowBatch(this.data, this.nextStarts(rows));
  }
}

/** The validation windows' offsets: consecutive, T + 1 tokens each, at most `limit` of them. */
export function validationStarts(data: TextData, limit: number): number[] {
  const width = data.contextLength + 1;
  const count = Math.min(limit, Math.floor((data.ids.length - data.trainTokens) / width));
  return Array.from({ length: count }, (_, k) => data.trainTokens + k * width);
}

/** The fixed prompt of the samples drawn at every evaluation: the validation part's first tokens. */
export function evalPrompt(data: TextData): Int32Array {
  const length = Math.max(1, Math.min(32, Math.floor(data.contextLength / 4)));
  return data.ids.slice(data.trainTokens, data.trainTokens + length);
}
