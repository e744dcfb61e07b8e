/**
 * Where a step lands on the chosen x axis: the step itself, the training time at its end (the
 * steps' own time, evaluations and pauses excluded, in seconds), or the input tokens seen by then.
 */
import type { RunMetrics } from '../lab/metrics';
import type { Point } from '../lab/series';
import type { XAxisKind } from './settings';

/** Index of the last entry ≤ `step` in an ascending step column, or -1. */
function lastAtOrBefore(steps: readonly number[], step: number): number {
  let lo = 0;
  let hi = steps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]! <= step) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export interface XMap {
  /** The x of training step `step` (its end). */
  atStep(step: number): number;
  /** The x after `n` steps are done (an evaluation at step n). */
  afterSteps(n: number): number;
}

export function xMap(m: RunMetrics, kind: XAxisKind): XMap {
  if (kind === 'step') return { atStep: (s) => s, afterSteps: (n) => n };
  const { time, tokens } = m.cumulative();
  const column = kind === 'time' ? time.map((t) => t / 1000) : tokens;
  const at = (s: number) => {
    const i = lastAtOrBefore(m.step, s);
    return i < 0 ? 0 : column[i]!;
  };
  return { atStep: at, afterSteps: (n) => (n <= 0 ? 0 : at(n - 1)) };
}

/** Points with their `x` set from their `step`. */
export function withX<T extends Point>(points: readonly T[], map: XMap, after = false): (T & { x: number })[] {
  return points.map((p) => ({ ...p, x: after ? map.afterSteps(p.step) : map.atStep(p.step) }));
}
