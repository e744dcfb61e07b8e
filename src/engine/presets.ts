import type { RunConfig, TrainConfig } from './runConfig';

/** The settings a variant changes; everything else comes from the run it is applied to. */
export type TrainOverrides = Partial<Pick<TrainConfig, 'batchSize' | 'gradAccumSteps' | 'precision' | 'checkpointing' | 'offload' | 'optimizer' | 'schedule'>>;

export const withTrain = (run: RunConfig, overrides: TrainOverrides): RunConfig => ({ ...run, train: { ...run.train, ...overrides } });

/** The plain way to train: fp32, Adam, the whole batch at once, nothing recomputed. */
export function plainBaseline(run: RunConfig): RunConfig {
  return withTrain(run, {
    gradAccumSteps: 1,
    precision: 'fp32',
    checkpointing: 'none',
    offload: 'none',
    optimizer: { name: 'adam', lr: run.train.optimizer.lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
  });
}

/**
 * Every memory saving at once, at the same effective batch: 16 micro-batches (or the largest
 * divisor of the batch below that), one recomputed segment per layer whose boundaries wait in
 * host memory (activation offloading), fp16 autocast with loss scaling, and SGD with Nesterov momentum under cosine annealing (one state slot per parameter
 * instead of Adam's two).
 */
export function memoryDiet(run: RunConfig, sgdLr = 0.2): RunConfig {
  const k = [16, 8, 4, 2, 1].find((d) => run.train.batchSize % d === 0)!;
  return withTrain(run, {
    gradAccumSteps: k,
    precision: 'fp16',
    checkpointing: 'layers',
    offload: 'activations',
    optimizer: { name: 'sgd', lr: sgdLr, momentum: 0.9, nesterov: true, dampening: 0, weightDecay: 0 },
    schedule: { name: 'cosine', warmupSteps: Math.min(50, Math.floor(run.train.steps / 10)), minLr: sgdLr / 100 },
  });
}
