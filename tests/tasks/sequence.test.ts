import { describe, it, expect } from 'vitest';
import { taskDefinition } from '../../src/tasks/registry';
import { createRng } from '../../src/tasks/rng';
import type { Example, ExampleTaskConfig as TaskConfig, SequenceTaskName } from '../../src/tasks/types';

function samples(cfg: TaskConfig, n = 500): Example[] {
  const rng = createRng(11);
  return Array.from({ length: n }, () => taskDefinition(cfg).sample(cfg, rng));
}

const config = (name: SequenceTaskName, minLength: number, maxLength: number, symbols: number): TaskConfig => ({
  name,
  minLength,
  maxLength,
  symbols,
});

describe.each(['copy', 'reverse', 'sort'] as const)('%s', (name) => {
  it('draws every length in [minLength, maxLength] over the alphabet 3 … symbols+2', () => {
    const lengths = new Set<number>();
    const symbols = new Set<number>();
    for (const e of samples(config(name, 2, 5, 4))) {
      lengths.add(e.input.length);
      e.input.forEach((t) => symbols.add(t));
    }
    expect([...lengths].sort()).toEqual([2, 3, 4, 5]);
    expect([...symbols].sort()).toEqual([3, 4, 5, 6]);
  });

  it('names symbols + 3 distinct tokens after the special ones', () => {
    const cfg = config(name, 1, 3, 30);
    const vocab = taskDefinition(cfg).vocabulary(cfg);
    expect(vocab.size).toBe(33);
    expect(vocab.tokens.slice(0, 5)).toEqual(['<pad>', '<bos>', '<eos>', 'a', 'b']);
    expect(vocab.tokens.slice(28)).toEqual(['z', 'aa', 'ab', 'ac', 'ad']);
    expect(new Set(vocab.tokens).size).toBe(33);
  });

  it('counts every input of every allowed length as its example space', () => {
    const cfg = config(name, 1, 3, 3);
    expect(taskDefinition(cfg).exampleSpace(cfg)).toBe(3 + 9 + 27);
    expect(taskDefinition(cfg).longest(cfg)).toEqual({ input: 3, answer: 3 });
  });
});

describe('answers', () => {
  it('copy repeats the input', () => {
    for (const e of samples(config('copy', 1, 8, 10))) {
      expect(e.answer).toEqual(e.input);
      expect(e.answer).not.toBe(e.input);
    }
  });

  it('reverse writes the input back to front', () => {
    for (const e of samples(config('reverse', 1, 8, 10))) {
      expect(e.answer).toHaveLength(e.input.length);
      e.answer.forEach((t, i) => expect(t).toBe(e.input[e.input.length - 1 - i]));
    }
  });

  it('sort is ascending and a permutation of the input', () => {
    const count = (xs: number[]) => xs.reduce((m, t) => m.set(t, (m.get(t) ?? 0) + 1), new Map<number, number>());
    for (const e of samples(config('sort', 1, 8, 10))) {
      for (let i = 1; i < e.answer.length; i++) expect(e.answer[i - 1]!).toBeLessThanOrEqual(e.answer[i]!);
      expect(count(e.answer)).toEqual(count(e.input));
    }
  });
});
