import { describe, it, expect } from 'vitest';
import { createRng, hashSeed } from '../../src/tasks/rng';
import type { Rng } from '../../src/tasks/rng';

const draws = (rng: Rng, n = 20) => Array.from({ length: n }, () => rng.next());

describe('createRng', () => {
  it('repeats its stream for the same seed and differs for another', () => {
    expect(draws(createRng(42))).toEqual(draws(createRng(42)));
    expect(draws(createRng(42))).not.toEqual(draws(createRng(43)));
    expect(draws(createRng(0))).not.toEqual(draws(createRng(1)));
  });

  it('draws next() in [0, 1), spread evenly over ten buckets', () => {
    const rng = createRng(7);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      if (x < 0 || x >= 1) outside++;
      else buckets[Math.floor(x * 10)]! += 1;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('draws int(lo, hi) with both ends included and nothing outside', () => {
    const rng = createRng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(-2, 3));
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(rng.int(5, 5)).toBe(5);
  });

  it('rejects an empty or fractional range', () => {
    const rng = createRng(1);
    expect(() => rng.int(3, 2)).toThrow('rng.int needs integers lo ≤ hi (got 3, 2)');
    expect(() => rng.int(0, 1.5)).toThrow(RangeError);
  });
});

describe('fork', () => {
  it('depends on the parent seed and the label, not on how far the parent has drawn', () => {
    const a = createRng(9);
    const b = createRng(9);
    draws(b, 5);
    expect(draws(a.fork('train'))).toEqual(draws(b.fork('train')));
    expect(draws(a.fork('train'))).not.toEqual(draws(a.fork('validation')));
    expect(draws(a.fork(1))).not.toEqual(draws(a.fork('1')));
    expect(draws(a.fork('train'))).not.toEqual(draws(createRng(10).fork('train')));
  });

  it('gives a stream unlike its parent', () => {
    const rng = createRng(5);
    expect(draws(rng.fork('x'))).not.toEqual(draws(createRng(5)));
  });
});

describe('hashSeed', () => {
  it('returns a deterministic 32-bit unsigned integer', () => {
    const h = hashSeed(1, 'layer.0.weight');
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    expect(hashSeed(1, 'layer.0.weight')).toBe(h);
    expect(hashSeed(2, 'layer.0.weight')).not.toBe(h);
  });

  it('tells parts apart by type and by where they split', () => {
    expect(hashSeed(1)).not.toBe(hashSeed('1'));
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
    expect(hashSeed()).not.toBe(hashSeed(''));
  });
});
