/**
 * Round-robin timing of several step functions in one process. Free of TF.js, so that the
 * order and the medians can be tested with fakes.
 *
 * Alternating step by step (a, b, a, b, …) instead of timing all of a, then all of b, makes
 * both sides see the same machine: a load that comes and goes (other processes on a shared
 * VM) lands on both halves of every round, so their ratio stays meaningful even when the
 * absolute times are noisy.
 */

/** Runs one step and resolves to the milliseconds it measured for itself (its own clock, so IPC or bookkeeping around it is not counted). */
export type StepFn = () => Promise<number>;

export interface InterleaveOptions {
  /** Timed rounds; every function runs once per round. */
  rounds: number;
  /** Untimed rounds first (compilation, allocator and cache warm-up). */
  warmup: number;
  /**
   * Keep warming up, whole rounds at a time, until this much wall time has passed too: V8 runs
   * JavaScript and wasm in baseline code first and optimises them in the background, so a small
   * model's first second of steps is slow however few rounds it takes.
   */
  minWarmupMs?: number;
  /** Called after every step, warm-up included. */
  onStep?: (name: string, round: number, warmup: boolean) => void;
}

export interface Interleaved {
  /** Median milliseconds per function over the timed rounds. */
  medians: Record<string, number>;
  /** Every timed measurement, in round order. */
  samples: Record<string, number[]>;
  /** Warm-up rounds actually run (at least `warmup`). */
  warmupRounds: number;
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The middle half of the values: the lower and upper quartiles, each interpolated linearly
 * between the two values either side of its rank (numpy's default), so that even two rounds
 * give a width. It says how far a median can be trusted: on a host whose speed comes and goes,
 * the middle half widens.
 */
export function middleHalf(xs: readonly number[]): { low: number; high: number } {
  if (xs.length === 0) throw new Error('middle half of no values');
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => {
    const rank = q * (s.length - 1);
    const below = s[Math.floor(rank)]!;
    return below + (rank - Math.floor(rank)) * (s[Math.ceil(rank)]! - below);
  };
  return { low: at(0.25), high: at(0.75) };
}

/** Per-round quotients a[i] / b[i] of two functions' samples from the same interleaved run. */
export function roundRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`round ratios need samples of the same rounds (${a.length} against ${b.length})`);
  return a.map((x, i) => x / b[i]!);
}

/** How far a reference's middle half may spread, as a fraction of its median, on a steady host. */
export const STEADY_SPREAD = 0.1;

/**
 * How steady the machine was under several interleaved comparisons that share a reference step
 * (the same trainer's step in each): the reference's median in each, and the widest middle half
 * of its samples relative to its median. A ratio is only as good as the rounds it comes from:
 * when the reference's middle half spans more than `tolerance` (a fraction), the host changed
 * speed within the comparison, and its ratio says as much about the host as about the engine.
 * The medians may differ between comparisons without that: each runs beside different work.
 */
export function steadiness(references: readonly (readonly number[])[], tolerance = STEADY_SPREAD): { medians: number[]; widestSpread: number; steady: boolean } {
  if (references.length === 0) throw new Error('steadiness needs at least one reference');
  const medians = references.map((r) => median(r));
  const widestSpread = Math.max(...references.map((r, i) => {
    const { low, high } = middleHalf(r);
    return (high - low) / medians[i]!;
  }));
  return { medians, widestSpread, steady: widestSpread <= tolerance };
}

/** Runs `steps` in their given order, once each per round: the warm-up rounds, then `rounds` timed ones. */
export async function interleave(steps: Record<string, StepFn>, opts: InterleaveOptions): Promise<Interleaved> {
  const names = Object.keys(steps);
  if (names.length === 0) throw new Error('interleave needs at least one step function');
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error(`rounds must be a whole number ≥ 1 (got ${opts.rounds})`);
  if (!Number.isInteger(opts.warmup) || opts.warmup < 0) throw new Error(`warmup must be a whole number ≥ 0 (got ${opts.warmup})`);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const runRound = async (round: number, warm: boolean) => {
    for (const name of names) {
      const ms = await steps[name]!();
      if (!(Number.isFinite(ms) && ms >= 0)) throw new Error(`step ${name} reported ${ms} ms; expected a finite time ≥ 0`);
      if (!warm) samples[name]!.push(ms);
      opts.onStep?.(name, round, warm);
    }
  };
  const started = performance.now();
  let round = 0;
  while (round < opts.warmup || performance.now() - started < (opts.minWarmupMs ?? 0)) await runRound(round++, true);
  const warmupRounds = round;
  for (let i = 0; i < opts.rounds; i++) await runRound(round++, false);
  const medians = Object.fromEntries(names.map((n) => [n, median(samples[n]!)]));
  return { medians, samples, warmupRounds };
}
