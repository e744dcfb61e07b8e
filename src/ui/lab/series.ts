/**
 * Chart series from full-resolution columns: smoothing (TensorBoard's debiased exponential
 * moving average) runs on every point, then at most `MAX_POINTS` buckets reach the chart, so a
 * 10,000-step run draws as fast as a 200-step one.
 */

export const MAX_POINTS = 200;

export type Reduce = 'mean' | 'last' | 'max';

export interface Point {
  step: number;
  [key: string]: number;
}

/** Debiased EMA (weight 0 = raw). Non-finite values pass through without entering the average. */
export function smooth(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...values];
  const out = new Array<number>(values.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    acc = acc * weight + (1 - weight) * v;
    n++;
    out[i] = acc / (1 - weight ** n);
  }
  return out;
}

/** Buckets of consecutive indices, at most `max` of them, covering 0..n-1 in order. */
export function buckets(n: number, max = MAX_POINTS): [number, number][] {
  const size = Math.max(1, Math.ceil(n / max));
  const out: [number, number][] = [];
  for (let start = 0; start < n; start += size) out.push([start, Math.min(n, start + size)]);
  return out;
}

function reduce(values: readonly number[], from: number, to: number, how: Reduce): number {
  if (how === 'last') return values[to - 1]!;
  let acc = how === 'max' ? -Infinity : 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    acc = how === 'max' ? Math.max(acc, v) : acc + v;
    count++;
  }
  if (count === 0) return Number.NaN;
  return how === 'max' ? acc : acc / count;
}

/**
 * Points `{step, key: value, ...}` for a chart: one per bucket, at the bucket's last step. Each
 * column is reduced its own way (the mean for noisy metrics, the last value for schedules, the
 * maximum for memory). NaN values are dropped from the point (the plot leaves a gap).
 */
export function downsample(steps: readonly number[], columns: Record<string, { values: readonly number[]; reduce: Reduce }>, max = MAX_POINTS): Point[] {
  return buckets(steps.length, max).map(([from, to]) => {
    const p: Point = { step: steps[to - 1]! };
    for (const [key, col] of Object.entries(columns)) {
      const v = reduce(col.values, from, to, col.reduce);
      if (Number.isFinite(v)) p[key] = v;
    }
    return p;
  });
}

/** Evenly thinned items when there are more than `max` (first and last kept). */
export function thin<T>(items: readonly T[], max = MAX_POINTS): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))]!);
  return out;
}

/** The smallest and largest finite values, or undefined when there are none (no spread: long columns are fine). */
export function extent(values: readonly number[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}
