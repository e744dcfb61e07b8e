import { describe, expect, it } from 'vitest';
import { taskDefinition } from '../../src/tasks/registry';
import { createRng } from '../../src/tasks/rng';
import { expectedAnswer, formatTokens, parseTaskInput, sampleInput } from '../../src/tasks/tryInput';
import type { ExampleTaskConfig as TaskConfig } from '../../src/tasks/types';

const seq = (name: 'copy' | 'reverse' | 'sort', symbols = 6, maxLength = 5): TaskConfig => ({ name, minLength: 2, maxLength, symbols });
const addition: TaskConfig = { name: 'addition', maxDigits: 3 };
const ALL: TaskConfig[] = [seq('copy'), seq('reverse'), seq('sort'), seq('reverse', 30, 6), addition, { name: 'addition', maxDigits: 12 }];

const tokensOf = (cfg: TaskConfig, text: string) => {
  const parsed = parseTaskInput(cfg, text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.tokens;
};
const errorOf = (cfg: TaskConfig, text: string) => {
  const parsed = parseTaskInput(cfg, text);
  return 'error' in parsed ? parsed.error : null;
};

describe('sequence tasks', () => {
  it('reads one letter per symbol, ignoring spaces and commas', () => {
    expect(tokensOf(seq('copy'), 'abf')).toEqual([3, 4, 8]);
    expect(tokensOf(seq('copy'), ' a, b f ')).toEqual([3, 4, 8]);
  });

  it('reads space-separated names when the alphabet goes past z', () => {
    expect(tokensOf(seq('copy', 30), 'a z aa ad')).toEqual([3, 28, 29, 32]);
    expect(errorOf(seq('copy', 30), 'abc')).toBe('unknown symbol "abc": this task\'s symbols are a … ad; separate symbols with spaces');
  });

  it('names an unknown symbol, an input longer than maxLength and an empty one', () => {
    expect(errorOf(seq('copy'), 'abx')).toBe('unknown symbol "x": this task\'s symbols are a … f');
    expect(errorOf(seq('copy'), 'A')).toContain('unknown symbol "A"');
    expect(errorOf(seq('copy'), 'abcdef')).toBe("6 symbols is too long: this task's inputs have at most 5");
    expect(errorOf(seq('copy'), '  ')).toBe('type at least one symbol');
  });

  it('copies, reverses and sorts', () => {
    const input = tokensOf(seq('copy'), 'cab');
    expect(formatTokens(seq('copy'), expectedAnswer(seq('copy'), input))).toBe('cab');
    expect(formatTokens(seq('reverse'), expectedAnswer(seq('reverse'), input))).toBe('bac');
    expect(formatTokens(seq('sort'), expectedAnswer(seq('sort'), input))).toBe('abc');
  });
});

describe('addition', () => {
  it('reads "a+b" with spaces ignored and adds with carries', () => {
    const input = tokensOf(addition, ' 999 + 1 ');
    expect(formatTokens(addition, input)).toBe('999+1');
    expect(formatTokens(addition, expectedAnswer(addition, input))).toBe('1000');
    expect(formatTokens(addition, expectedAnswer(addition, tokensOf(addition, '0+0')))).toBe('0');
  });

  it('names what is wrong', () => {
    expect(errorOf(addition, '')).toBe('type a sum such as 12+345');
    expect(errorOf(addition, '12-3')).toBe('unknown symbol "-": write digits and one "+"');
    expect(errorOf(addition, '123')).toBe('write two numbers joined by one "+", e.g. 12+345');
    expect(errorOf(addition, '1+2+3')).toBe('write two numbers joined by one "+", e.g. 12+345');
    expect(errorOf(addition, '+5')).toBe('write two numbers joined by one "+", e.g. 12+345');
    expect(errorOf(addition, '1234+5')).toBe("1234 has 4 digits: this task's numbers have at most 3");
    expect(errorOf(addition, '07+5')).toBe('07 starts with 0: write numbers without leading zeros');
  });
});

describe.each(ALL.map((cfg) => [JSON.stringify(cfg), cfg] as const))('%s', (_name, cfg) => {
  it('formats sampled inputs as text that parses back to the same tokens', () => {
    for (let seed = 0; seed < 200; seed++) {
      const input = sampleInput(cfg, seed);
      expect(tokensOf(cfg, formatTokens(cfg, input))).toEqual(input);
    }
  });

  it('expects the answer the sampler gives', () => {
    const rng = createRng(9);
    for (let i = 0; i < 200; i++) {
      const e = taskDefinition(cfg).sample(cfg, rng);
      expect(expectedAnswer(cfg, e.input)).toEqual(e.answer);
    }
  });

  it('draws the same input from the same seed and different ones from others', () => {
    expect(sampleInput(cfg, 4)).toEqual(sampleInput(cfg, 4));
    const distinct = new Set(Array.from({ length: 20 }, (_, seed) => sampleInput(cfg, seed).join(',')));
    expect(distinct.size).toBeGreaterThan(10);
  });
});

it('shows special tokens by name, space-separated', () => {
  expect(formatTokens(seq('copy'), [3, 4, 2])).toBe('a b <eos>');
});
