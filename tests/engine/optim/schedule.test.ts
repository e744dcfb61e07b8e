import { describe, expect, it } from 'vitest';
import { parseScheduleConfig } from '../../../src/engine/optim/config';
import { learningRate } from '../../../src/engine/optim/schedule';
import { scheduleFixture } from './fixtures';

const close = (got: number, want: number, rel = 1e-12) => expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));

describe('learningRate against torch.optim.lr_scheduler', () => {
  const fx = scheduleFixture();
  it.each(fx.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const schedule = parseScheduleConfig(c.schedule);
    expect(c.lrs).toHaveLength(fx.steps);
    let worst = 0;
    c.lrs.forEach((want, step) => {
      const got = learningRate(schedule, fx.baseLr, step, fx.steps);
      worst = Math.max(worst, Math.abs(got - want) / want);
    });
    expect(worst).toBeLessThanOrEqual(1e-9); // measured: ≤ 6e-16 (PyTorch's schedulers multiply step by step)
  });
});

describe('learningRate', () => {
  const lr = 0.1;

  it('is constant without a schedule', () => {
    const s = parseScheduleConfig(undefined);
    for (const step of [0, 1, 100, 1e6]) expect(learningRate(s, lr, step, 10)).toBe(lr);
  });

  it('warms up linearly: lr·(s+1)/W for s < W, then the schedule from its start', () => {
    const constant = parseScheduleConfig({ name: 'constant', warmupSteps: 4 });
    expect([0, 1, 2, 3, 4, 5].map((s) => learningRate(constant, lr, s, 10))).toEqual([lr / 4, lr / 2, (3 * lr) / 4, lr, lr, lr]);
    const step = parseScheduleConfig({ name: 'step', warmupSteps: 2, stepSize: 3, gamma: 0.5 });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => learningRate(step, 1, s, 100))).toEqual([0.5, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
    const exp = parseScheduleConfig({ name: 'exponential', warmupSteps: 1, gamma: 0.5 });
    expect([0, 1, 2, 3].map((s) => learningRate(exp, 1, s, 100))).toEqual([1, 1, 0.5, 0.25]);
  });

  it('anneals the cosine over the steps after warm-up, down to minLr, and holds it', () => {
    const s = parseScheduleConfig({ name: 'cosine', warmupSteps: 5, minLr: 0.01 });
    const total = 25; // the cosine spans steps 5..25
    expect(learningRate(s, lr, 0, total)).toBeCloseTo(lr / 5, 15);
    expect(learningRate(s, lr, 4, total)).toBe(lr);
    expect(learningRate(s, lr, 5, total)).toBe(lr);
    close(learningRate(s, lr, 15, total), (lr + 0.01) / 2);
    close(learningRate(s, lr, 10, total), 0.01 + ((lr - 0.01) * (1 + Math.SQRT1_2)) / 2);
    expect(learningRate(s, lr, 24, total)).toBeGreaterThan(0.01);
    for (const step of [25, 26, 1000]) expect(learningRate(s, lr, step, total)).toBe(0.01);
  });

  it("takes the cosine's own totalSteps over the run's", () => {
    const s = parseScheduleConfig({ name: 'cosine', totalSteps: 10 });
    close(learningRate(s, lr, 5, 1000), lr / 2);
    expect(learningRate(s, lr, 10, 1000)).toBe(0);
    // warm-up as long as the cosine: minLr right after it
    const w = parseScheduleConfig({ name: 'cosine', warmupSteps: 10, totalSteps: 10, minLr: 0.001 });
    expect(learningRate(w, lr, 9, 1000)).toBe(lr);
    expect(learningRate(w, lr, 10, 1000)).toBe(0.001);
  });

  it('refuses a step that is not a whole number ≥ 0', () => {
    const s = parseScheduleConfig(undefined);
    expect(() => learningRate(s, lr, -1, 10)).toThrow(RangeError);
    expect(() => learningRate(s, lr, 1.5, 10)).toThrow(/step must be an integer/);
  });
});
