import { describe, expect, it } from 'vitest';
import { interleave, median, middleHalf, roundRatios, steadiness } from '../../../src/engine/bench/interleave';

/** A fake step that logs its name and reports the next of its scripted times. */
function fake(name: string, log: string[], times: number[]) {
  let i = 0;
  return async () => {
    log.push(name);
    return times[i++ % times.length]!;
  };
}

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/no values/);
  });
});

describe('middleHalf', () => {
  it('is the lower and upper quartiles, each interpolated between the values either side of its rank', () => {
    // Ranks 0.75 and 2.25 of four values: three quarters of the way from 1 to 2, a quarter from 3 to 4.
    expect(middleHalf([4, 1, 3, 2])).toEqual({ low: 1.75, high: 3.25 });
    // Two rounds still have a width.
    expect(middleHalf([10, 14])).toEqual({ low: 11, high: 13 });
    // Ranks 1 and 3 of five values fall on values.
    expect(middleHalf([50, 10, 40, 20, 30])).toEqual({ low: 20, high: 40 });
    expect(middleHalf([7])).toEqual({ low: 7, high: 7 });
    expect(() => middleHalf([])).toThrow(/no values/);
  });
});

describe('roundRatios', () => {
  it('divides round by round, and refuses samples of different rounds', () => {
    expect(roundRatios([2, 6, 9], [1, 3, 3])).toEqual([2, 2, 3]);
    expect(() => roundRatios([1, 2], [1])).toThrow(/same rounds \(2 against 1\)/);
  });
});

describe('steadiness', () => {
  it('is steady when the reference holds still within every comparison, whatever its level in each', () => {
    // The second comparison runs beside other work: a higher level, as steady.
    const h = steadiness([[100, 101, 99, 100], [130, 131, 129, 130]]);
    expect(h.medians).toEqual([100, 130]);
    expect(h.widestSpread).toBeCloseTo(0.5 / 100, 12); // [99.75, 100.25] of 100
    expect(h.steady).toBe(true);
  });

  it('is unsteady when the reference spreads within a comparison, at the tolerance given', () => {
    // A host that changed speed halfway: three rounds at 100 ms, three at 130.
    const spread = [[100, 101, 99, 100], [100, 100, 130, 130, 100, 130]];
    expect(steadiness(spread).widestSpread).toBeCloseTo(30 / 115, 12);
    expect(steadiness(spread).steady).toBe(false);
    expect(steadiness(spread, 0.3).steady).toBe(true);
    expect(() => steadiness([])).toThrow(/at least one reference/);
  });
});

describe('interleave', () => {
  it('runs the steps round-robin in their given order, warm-up rounds first', async () => {
    const log: string[] = [];
    const warmFlags: boolean[] = [];
    const r = await interleave(
      { a: fake('a', log, [1]), b: fake('b', log, [2]), c: fake('c', log, [3]) },
      { rounds: 2, warmup: 1, onStep: (_name, _round, warm) => warmFlags.push(warm) },
    );
    expect(log).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    expect(warmFlags).toEqual([true, true, true, false, false, false, false, false, false]);
    expect(r.warmupRounds).toBe(1);
  });

  it('keeps only the timed rounds and takes their medians', async () => {
    const log: string[] = [];
    // Warm-up reports 1000 ms (a cold first step) and must not count; then 5, 1, 3 and 10, 40, 20, 30.
    const r = await interleave({ ours: fake('ours', log, [1000, 5, 1, 3]), torch: fake('torch', log, [1000, 10, 40, 20, 30]) }, { rounds: 3, warmup: 1 });
    expect(r.samples).toEqual({ ours: [5, 1, 3], torch: [10, 40, 20] });
    expect(r.medians).toEqual({ ours: 3, torch: 20 });
  });

  it('warms up for at least minWarmupMs, in whole rounds', async () => {
    const starts: number[] = [];
    const sleepy = async () => {
      starts.push(performance.now());
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 1;
    };
    const began = performance.now();
    const r = await interleave({ a: sleepy, b: sleepy }, { rounds: 1, warmup: 1, minWarmupMs: 40 });
    expect(r.warmupRounds).toBeGreaterThan(1);
    expect(starts).toHaveLength(2 * (r.warmupRounds + 1));
    // The timed round starts only once the warm-up time is over.
    expect(starts[2 * r.warmupRounds]! - began).toBeGreaterThanOrEqual(40);
  });

  it('refuses a step that reports no time, and bad round counts', async () => {
    await expect(interleave({ broken: async () => NaN }, { rounds: 1, warmup: 0 })).rejects.toThrow(/step broken reported NaN ms/);
    await expect(interleave({ a: async () => 1 }, { rounds: 0, warmup: 0 })).rejects.toThrow(/rounds must be/);
    await expect(interleave({}, { rounds: 1, warmup: 0 })).rejects.toThrow(/at least one step/);
  });
});
