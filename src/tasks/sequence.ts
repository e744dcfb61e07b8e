import type { Knob, ParsedInput, SequenceConfig, SequenceTaskName, TaskDefinition, Vocabulary } from './types';
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

/**
 * Up to 26 symbols every name is one letter, so "abc" reads as a, b, c and spaces or commas are
 * optional; beyond that names like "aa" need separating, so the text is split on them.
 */
function parseInput(cfg: SequenceConfig, text: string): ParsedInput {
  const names = vocabulary(cfg).tokens;
  const singleLetters = cfg.symbols <= 26;
  const pieces = singleLetters ? text.replace(/[\s,]/g, '').split('') : text.split(/[\s,]+/).filter((s) => s !== '');
  if (pieces.length === 0) return { error: 'type at least one symbol' };
  const tokens: number[] = [];
  for (const piece of pieces) {
    const id = names.indexOf(piece, FIRST_SYMBOL);
    if (id < 0) {
      const alphabet = `${symbolName(0)} … ${symbolName(cfg.symbols - 1)}`;
      const hint = singleLetters ? '' : '; separate symbols with spaces';
      return { error: `unknown symbol "${piece}": this task's symbols are ${alphabet}${hint}` };
    }
    tokens.push(id);
  }
  if (tokens.length > cfg.maxLength) return { error: `${tokens.length} symbols is too long: this task's inputs have at most ${cfg.maxLength}` };
  return { tokens };
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
    answer: (_cfg, input) => answerOf(input),
    parseInput,
    exampleSpace(cfg) {
      let total = 0;
      for (let length = cfg.minLength; length <= cfg.maxLength; length++) total += cfg.symbols ** length;
      return total;
    },
    longest: (cfg) => ({ input: cfg.maxLength, answer: cfg.maxLength }),
  };
}
