import type { Knob, SequenceConfig, SequenceTaskName, TaskDefinition, Vocabulary } from './types';
import { FIRST_SYMBOL, SPECIAL_TOKENS } from './types';

/** The knobs copy, reverse and sort share; they differ only in how the answer follows from the input. */
const knobs: Knob[] = [
  { key: 'minLength', label: 'Shortest input', help: 'Fewest symbols in an input.', default: 1, min: 1, max: 64 },
  { key: 'maxLength', label: 'Longest input', help: 'Most symbols in an input; lengths are drawn uniformly in between.', default: 8, min: 1, max: 64 },
  { key: 'symbols', label: 'Alphabet size', help: 'How many distinct symbols inputs are made of.', default: 10, min: 2, max: 100 },
];

/** Spreadsheet-style names (a … z, aa, ab, …): short, and distinct for any alphabet size. */
function symbolName(i: number): string {
  let name = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(97 + ((n - 1) % 26)) + name;
  }
  return name;
}

function vocabulary(cfg: SequenceConfig): Vocabulary {
  const tokens = [...SPECIAL_TOKENS, ...Array.from({ length: cfg.symbols }, (_, i) => symbolName(i))];
  return { size: tokens.length, tokens };
}

/** A task that maps a random string over the alphabet to `answerOf(input)`. */
export function sequenceTask<N extends SequenceTaskName>(
  name: N,
  description: string,
  answerOf: (input: number[]) => number[],
): TaskDefinition<SequenceConfig<N>> {
  return {
    name,
    description,
    knobs,
    vocabulary,
    sample(cfg, rng) {
      const length = rng.int(cfg.minLength, cfg.maxLength);
      const input = Array.from({ length }, () => rng.int(FIRST_SYMBOL, FIRST_SYMBOL + cfg.symbols - 1));
      return { input, answer: answerOf(input) };
    },
    exampleSpace(cfg) {
      let total = 0;
      for (let length = cfg.minLength; length <= cfg.maxLength; length++) total += cfg.symbols ** length;
      return total;
    },
    longest: (cfg) => ({ input: cfg.maxLength, answer: cfg.maxLength }),
  };
}
