import { describe, it, expect } from 'vitest';
import { additionTask } from '../../src/tasks/addition';
import { createRng } from '../../src/tasks/rng';
import type { Example } from '../../src/tasks/types';

const PLUS = 13;
const digitsOf = (tokens: number[]) => tokens.map((t) => String(t - 3)).join('');

function samples(maxDigits: number, n: number): Example[] {
  const rng = createRng(maxDigits);
  return Array.from({ length: n }, () => additionTask.sample({ name: 'addition', maxDigits }, rng));
}

describe('addition', () => {
  it.each([1, 3, 20])('answers the decimal sum for maxDigits %i', (maxDigits) => {
    for (const e of samples(maxDigits, 2000)) {
      const plus = e.input.indexOf(PLUS);
      expect(plus).toBeGreaterThan(0);
      expect(e.input.lastIndexOf(PLUS)).toBe(plus);
      const a = digitsOf(e.input.slice(0, plus));
      const b = digitsOf(e.input.slice(plus + 1));
      expect(digitsOf(e.answer)).toBe((BigInt(a) + BigInt(b)).toString());
    }
  });

  it('draws operands of 1 … maxDigits digits with no leading zeros but 0 itself', () => {
    const lengths = new Set<number>();
    let sawZero = false;
    for (const e of samples(3, 3000)) {
      const plus = e.input.indexOf(PLUS);
      for (const operand of [digitsOf(e.input.slice(0, plus)), digitsOf(e.input.slice(plus + 1))]) {
        lengths.add(operand.length);
        if (operand === '0') sawZero = true;
        else expect(operand[0]).not.toBe('0');
      }
    }
    expect([...lengths].sort()).toEqual([1, 2, 3]);
    expect(sawZero).toBe(true);
  });

  it('has 14 tokens: the special ones, the digits at 3 … 12 and + at 13', () => {
    const vocab = additionTask.vocabulary({ name: 'addition', maxDigits: 3 });
    expect(vocab).toEqual({ size: 14, tokens: ['<pad>', '<bos>', '<eos>', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+'] });
  });

  it('sizes its example space and longest rows from maxDigits', () => {
    expect(additionTask.exampleSpace({ name: 'addition', maxDigits: 1 })).toBe(100);
    expect(additionTask.exampleSpace({ name: 'addition', maxDigits: 3 })).toBe(1e6);
    expect(additionTask.longest({ name: 'addition', maxDigits: 3 })).toEqual({ input: 7, answer: 4 });
  });
});
