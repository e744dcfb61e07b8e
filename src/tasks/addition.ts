import type { AdditionConfig, ParsedInput, TaskDefinition, Vocabulary } from './types';
import { FIRST_SYMBOL, SPECIAL_TOKENS } from './types';
import type { Rng } from './rng';

const DIGIT = (d: number) => FIRST_SYMBOL + d;
const PLUS = FIRST_SYMBOL + 10;

const TOKENS = [...SPECIAL_TOKENS, ...'0123456789'.split(''), '+'];

/** Digits, most significant first. The count is uniform so short operands are as common as long ones. */
function operand(rng: Rng, maxDigits: number): number[] {
  const count = rng.int(1, maxDigits);
  // Only a one-digit number may start with 0: no leading zeros, but 0 itself is allowed.
  return Array.from({ length: count }, (_, i) => rng.int(i === 0 && count > 1 ? 1 : 0, 9));
}

/** Schoolbook addition on digit arrays, so any maxDigits stays exact. */
function addDigits(a: number[], b: number[]): number[] {
  const sum: number[] = [];
  let carry = 0;
  for (let i = 1; i <= Math.max(a.length, b.length) || carry > 0; i++) {
    const s = (a[a.length - i] ?? 0) + (b[b.length - i] ?? 0) + carry;
    sum.push(s % 10);
    carry = s >= 10 ? 1 : 0;
  }
  return sum.reverse();
}

/** "a+b" in decimal, spaces ignored; operands as `sample` writes them: no leading zeros, at most maxDigits. */
function parseInput(cfg: AdditionConfig, text: string): ParsedInput {
  const compact = text.replace(/\s/g, '');
  if (compact === '') return { error: 'type a sum such as 12+345' };
  const unknown = [...compact].find((c) => !TOKENS.includes(c, FIRST_SYMBOL));
  if (unknown !== undefined) return { error: `unknown symbol "${unknown}": write digits and one "+"` };
  const operands = compact.split('+');
  if (operands.length !== 2 || operands.some((o) => o === '')) return { error: 'write two numbers joined by one "+", e.g. 12+345' };
  for (const o of operands) {
    if (o.length > cfg.maxDigits) return { error: `${o} has ${o.length} digits: this task's numbers have at most ${cfg.maxDigits}` };
    if (o.length > 1 && o.startsWith('0')) return { error: `${o} starts with 0: write numbers without leading zeros` };
  }
  return { tokens: [...compact].map((c) => TOKENS.indexOf(c, FIRST_SYMBOL)) };
}

/** The sum of an input `digits + digits` as digit tokens. */
function answer(input: number[]): number[] {
  const plus = input.indexOf(PLUS);
  const digits = (tokens: number[]) => tokens.map((t) => t - FIRST_SYMBOL);
  return addDigits(digits(input.slice(0, plus)), digits(input.slice(plus + 1))).map(DIGIT);
}

export const additionTask: TaskDefinition<AdditionConfig> = {
  name: 'addition',
  description: 'Add two decimal numbers: "a+b" to the sum, most significant digit first.',
  knobs: [
    { key: 'maxDigits', label: 'Most digits', help: 'Each operand has between 1 and this many digits.', default: 3, min: 1, max: 20 },
  ],
  vocabulary: (): Vocabulary => ({ size: TOKENS.length, tokens: [...TOKENS] }),
  sample(cfg, rng) {
    const a = operand(rng, cfg.maxDigits);
    const b = operand(rng, cfg.maxDigits);
    return { input: [...a.map(DIGIT), PLUS, ...b.map(DIGIT)], answer: addDigits(a, b).map(DIGIT) };
  },
  answer: (_cfg, input) => answer(input),
  parseInput,
  // Every number below 10^maxDigits can be an operand.
  exampleSpace: (cfg) => 10 ** (2 * cfg.maxDigits),
  longest: (cfg) => ({ input: 2 * cfg.maxDigits + 1, answer: cfg.maxDigits + 1 }),
};
