import { describe, expect, it } from 'vitest';
import { parseOptimizerConfig, parseScheduleConfig } from '../../../src/engine/optim/config';
import { messageOf as message } from '../../helpers/errors';

describe('parseOptimizerConfig', () => {
  it("fills PyTorch's defaults", () => {
    expect(parseOptimizerConfig({ name: 'sgd', lr: 0.1 })).toEqual({
      name: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0,
    });
    expect(parseOptimizerConfig({ name: 'adam', lr: 1e-3 })).toEqual({
      name: 'adam', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0,
    });
    expect(parseOptimizerConfig({ name: 'adamw', lr: 1e-3 })).toEqual({
      name: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01,
    });
    expect(parseOptimizerConfig({ name: 'rmsprop', lr: 1e-2 })).toEqual({
      name: 'rmsprop', lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false,
    });
    expect(parseOptimizerConfig({ name: 'adagrad', lr: 1e-2 })).toEqual({
      name: 'adagrad', lr: 1e-2, eps: 1e-10, weightDecay: 0, lrDecay: 0, initialAccumulatorValue: 0,
    });
  });

  it('keeps given values', () => {
    const cfg = { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4, dampening: 0 };
    expect(parseOptimizerConfig(cfg)).toEqual(cfg);
    expect(parseOptimizerConfig({ name: 'adam', lr: 0, betas: [0, 0.5], eps: 0 })).toMatchObject({ betas: [0, 0.5], eps: 0 });
  });

  it("applies PyTorch's Nesterov rule to the nesterov field", () => {
    expect(message(() => parseOptimizerConfig({ name: 'sgd', lr: 0.1, nesterov: true }))).toBe(
      'train.optimizer.nesterov: Nesterov momentum requires a momentum and zero dampening (momentum 0, dampening 0)',
    );
    expect(message(() => parseOptimizerConfig({ name: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }))).toBe(
      'train.optimizer.nesterov: Nesterov momentum requires a momentum and zero dampening (momentum 0.9, dampening 0.1)',
    );
  });

  it("enforces PyTorch's bounds, naming each field", () => {
    expect(message(() => parseOptimizerConfig({ name: 'sgd', lr: -0.1 }))).toBe('train.optimizer.lr: must be ≥ 0 (got -0.1)');
    expect(message(() => parseOptimizerConfig({ name: 'sgd', lr: 0.1, momentum: -1 }))).toBe('train.optimizer.momentum: must be ≥ 0 (got -1)');
    expect(message(() => parseOptimizerConfig({ name: 'adam', lr: 0.1, betas: [0.9, 1] }))).toBe('train.optimizer.betas.1: must be < 1 (got 1)');
    expect(message(() => parseOptimizerConfig({ name: 'adamw', lr: 0.1, eps: -1e-8 }))).toBe('train.optimizer.eps: must be ≥ 0 (got -1e-8)');
    expect(message(() => parseOptimizerConfig({ name: 'adamw', lr: 0.1, weightDecay: -0.01 }))).toBe(
      'train.optimizer.weightDecay: must be ≥ 0 (got -0.01)',
    );
    expect(message(() => parseOptimizerConfig({ name: 'rmsprop', lr: 0.1, alpha: 1.5 }))).toBe('train.optimizer.alpha: must be ≤ 1 (got 1.5)');
    expect(message(() => parseOptimizerConfig({ name: 'adagrad', lr: 0.1, lrDecay: -1 }))).toBe('train.optimizer.lrDecay: must be ≥ 0 (got -1)');
    expect(message(() => parseOptimizerConfig({ name: 'adagrad', lr: 0.1, initialAccumulatorValue: -1 }))).toBe(
      'train.optimizer.initialAccumulatorValue: must be ≥ 0 (got -1)',
    );
    expect(message(() => parseOptimizerConfig({ name: 'adam', lr: Infinity }))).toMatch(/^train\.optimizer\.lr: /);
    expect(message(() => parseOptimizerConfig({ name: 'adam' }))).toBe('train.optimizer.lr: is required (number)');
  });

  it('reports every bad field at once, unknown fields included', () => {
    expect(message(() => parseOptimizerConfig({ name: 'adam', lr: -1, betas: [1, 0.5], amsgrad: true }))).toBe(
      ['train.optimizer.lr: must be ≥ 0 (got -1)', 'train.optimizer.betas.0: must be < 1 (got 1)', 'train.optimizer: unknown field "amsgrad"'].join('\n'),
    );
    // a field of another optimizer is unknown here
    expect(message(() => parseOptimizerConfig({ name: 'sgd', lr: 0.1, betas: [0.9, 0.99] }))).toBe('train.optimizer: unknown field "betas"');
  });

  it('names the choices when the optimizer is unknown', () => {
    expect(message(() => parseOptimizerConfig({ name: 'lamb', lr: 0.1 }))).toBe(
      'train.optimizer.name: must be one of "sgd", "adam", "adamw", "rmsprop", "adagrad" (got "lamb")',
    );
    expect(message(() => parseOptimizerConfig({ lr: 0.1 }))).toMatch(/^train\.optimizer\.name: /);
    expect(message(() => parseOptimizerConfig('adam'))).toBe('train.optimizer: must be object (got "adam")');
  });

  it('takes another prefix', () => {
    expect(message(() => parseOptimizerConfig({ name: 'sgd', lr: -1 }, 'opt'))).toBe('opt.lr: must be ≥ 0 (got -1)');
  });
});

describe('parseScheduleConfig', () => {
  it('reads a missing schedule as constant', () => {
    expect(parseScheduleConfig(undefined)).toEqual({ name: 'constant', warmupSteps: 0 });
  });

  it('fills defaults', () => {
    expect(parseScheduleConfig({ name: 'cosine' })).toEqual({ name: 'cosine', warmupSteps: 0, minLr: 0 });
    expect(parseScheduleConfig({ name: 'cosine', totalSteps: 100, warmupSteps: 10, minLr: 1e-5 })).toEqual({
      name: 'cosine', warmupSteps: 10, minLr: 1e-5, totalSteps: 100,
    });
    expect(parseScheduleConfig({ name: 'step', stepSize: 10 })).toEqual({ name: 'step', warmupSteps: 0, stepSize: 10, gamma: 0.1 });
    expect(parseScheduleConfig({ name: 'exponential', gamma: 0.9 })).toEqual({ name: 'exponential', warmupSteps: 0, gamma: 0.9 });
  });

  it('rejects bad fields, naming them', () => {
    expect(message(() => parseScheduleConfig({ name: 'step', stepSize: 1.5 }))).toBe('train.schedule.stepSize: must be an integer (got 1.5)');
    expect(message(() => parseScheduleConfig({ name: 'step', stepSize: 0 }))).toBe('train.schedule.stepSize: must be ≥ 1 (got 0)');
    expect(message(() => parseScheduleConfig({ name: 'step' }))).toBe('train.schedule.stepSize: is required (number)');
    expect(message(() => parseScheduleConfig({ name: 'exponential' }))).toBe('train.schedule.gamma: is required (number)');
    expect(message(() => parseScheduleConfig({ name: 'exponential', gamma: 0 }))).toBe('train.schedule.gamma: must be > 0 (got 0)');
    expect(message(() => parseScheduleConfig({ name: 'constant', warmupSteps: -1 }))).toBe('train.schedule.warmupSteps: must be ≥ 0 (got -1)');
    expect(message(() => parseScheduleConfig({ name: 'cosine', totalSteps: 0 }))).toBe('train.schedule.totalSteps: must be ≥ 1 (got 0)');
    expect(message(() => parseScheduleConfig({ name: 'cosine', minLr: -1 }))).toBe('train.schedule.minLr: must be ≥ 0 (got -1)');
    expect(message(() => parseScheduleConfig({ name: 'constant', gamma: 0.5 }))).toBe('train.schedule: unknown field "gamma"');
    expect(message(() => parseScheduleConfig({ name: 'linear' }))).toBe(
      'train.schedule.name: must be one of "constant", "cosine", "step", "exponential" (got "linear")',
    );
  });
});
