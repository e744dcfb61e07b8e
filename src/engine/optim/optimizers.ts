import type { OptimizerConfig } from './config';
import { adagradRule } from './adagrad';
import { adamRule } from './adam';
import { RuleOptimizer, type NamedVariable, type Optimizer } from './optimizer';
import { rmspropRule } from './rmsprop';
import type { UpdateRule } from './rule';
import { sgdRule } from './sgd';

export type { NamedVariable, Optimizer } from './optimizer';
export type { OptimizerState, SavedTensor } from './state';

/** The update rule a (parsed) optimizer config asks for. */
export function updateRule(cfg: OptimizerConfig): UpdateRule {
  switch (cfg.name) {
    case 'sgd':
      return sgdRule(cfg);
    case 'adam':
    case 'adamw':
      return adamRule(cfg);
    case 'rmsprop':
      return rmspropRule(cfg);
    case 'adagrad':
      return adagradRule(cfg);
  }
}

/**
 * An optimizer over `params` (names must be unique) that updates them exactly as PyTorch's
 * torch.optim would, on plain TF.js ops. `cfg` comes from `parseOptimizerConfig`.
 */
export function createOptimizer(cfg: OptimizerConfig, params: readonly NamedVariable[]): Optimizer {
  return new RuleOptimizer(cfg, updateRule(cfg), params);
}
