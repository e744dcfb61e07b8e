import type { ScheduleConfig } from './config';

/**
 * The learning rate for 0-based optimizer step `step` of a run of `totalSteps` steps. Pure.
 *
 * Warm-up: at step s < warmupSteps W the lr is baseLr·(s+1)/W, so the first step already
 * moves (lr/W) and step W−1 uses the full baseLr. From step W on, the schedule runs on the
 * shifted step t = s − W, with PyTorch's closed forms:
 * - constant: baseLr;
 * - step (StepLR): baseLr·gamma^floor(t/stepSize);
 * - exponential (ExponentialLR): baseLr·gamma^t;
 * - cosine (CosineAnnealingLR, eta_min = minLr): minLr + (baseLr − minLr)(1 + cos(πt/T'))/2
 *   with T' = T − W, where T is the schedule's `totalSteps` or else the run's; the lr then
 *   stays at minLr from step T on (PyTorch's own scheduler would climb back up).
 */
export function learningRate(schedule: ScheduleConfig, baseLr: number, step: number, totalSteps: number): number {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`learningRate: step must be an integer ≥ 0 (got ${step})`);
  const w = schedule.warmupSteps;
  if (step < w) return (baseLr * (step + 1)) / w;
  const t = step - w;
  switch (schedule.name) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * schedule.gamma ** Math.floor(t / schedule.stepSize);
    case 'exponential':
      return baseLr * schedule.gamma ** t;
    case 'cosine': {
      const span = (schedule.totalSteps ?? totalSteps) - w;
      if (t >= span) return schedule.minLr;
      const { minLr } = schedule;
      return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * t) / span))) / 2;
    }
  }
}
