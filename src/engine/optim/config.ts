import { z } from 'zod';
import { parseWith } from '../validation';

/*
 * Optimizer and learning-rate schedule configs. Field names are PyTorch's arguments in
 * camelCase, defaults are PyTorch's (AdamW's weight decay 0.01 included), and the bounds are
 * the ones PyTorch's constructors check, plus the few that its update rules need to stay
 * finite (dampening and RMSprop's alpha in [0, 1]). `z.number()` already refuses NaN and ±∞.
 */

const lr = z.number().min(0);
const eps = z.number().min(0);
const weightDecay = z.number().min(0);
const beta = z.number().min(0).lt(1);
const betas = z.tuple([beta, beta]).default([0.9, 0.999]);
const int = (min: number) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);

/** torch.optim.SGD. */
const sgdSchema = z
  .object({
    name: z.literal('sgd'),
    lr,
    momentum: z.number().min(0).default(0),
    dampening: z.number().min(0).max(1).default(0),
    nesterov: z.boolean().default(false),
    weightDecay: weightDecay.default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.nesterov && (c.momentum <= 0 || c.dampening !== 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['nesterov'],
        message: `Nesterov momentum requires a momentum and zero dampening (momentum ${c.momentum}, dampening ${c.dampening})`,
      });
    }
  });

/** torch.optim.Adam (amsgrad is not supported). Weight decay is L2, added to the gradient. */
const adamSchema = z
  .object({ name: z.literal('adam'), lr, betas, eps: eps.default(1e-8), weightDecay: weightDecay.default(0) })
  .strict();

/** torch.optim.AdamW: decoupled weight decay, `p *= 1 - lr·weightDecay`. */
const adamwSchema = z
  .object({ name: z.literal('adamw'), lr, betas, eps: eps.default(1e-8), weightDecay: weightDecay.default(0.01) })
  .strict();

/** torch.optim.RMSprop. */
const rmspropSchema = z
  .object({
    name: z.literal('rmsprop'),
    lr,
    alpha: z.number().min(0).max(1).default(0.99),
    eps: eps.default(1e-8),
    weightDecay: weightDecay.default(0),
    momentum: z.number().min(0).default(0),
    centered: z.boolean().default(false),
  })
  .strict();

/** torch.optim.Adagrad. */
const adagradSchema = z
  .object({
    name: z.literal('adagrad'),
    lr,
    eps: eps.default(1e-10),
    weightDecay: weightDecay.default(0),
    lrDecay: z.number().min(0).default(0),
    initialAccumulatorValue: z.number().min(0).default(0),
  })
  .strict();

export const optimizerSchema = z.discriminatedUnion('name', [sgdSchema, adamSchema, adamwSchema, rmspropSchema, adagradSchema]);

export type OptimizerConfig = z.output<typeof optimizerSchema>;
export type OptimizerName = OptimizerConfig['name'];
export type SgdConfig = z.output<typeof sgdSchema>;
export type AdamConfig = z.output<typeof adamSchema>;
export type AdamWConfig = z.output<typeof adamwSchema>;
export type RmspropConfig = z.output<typeof rmspropSchema>;
export type AdagradConfig = z.output<typeof adagradSchema>;

export const OPTIMIZER_NAMES = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const satisfies readonly OptimizerName[];
const optimizerNameSchema = z.object({ name: z.enum(OPTIMIZER_NAMES) });

/** Validates an optimizer config; every issue is reported as `${prefix}.field: ...`. */
export function parseOptimizerConfig(raw: unknown, prefix = 'train.optimizer'): OptimizerConfig {
  parseWith(optimizerNameSchema, raw, prefix); // names the choices when `name` is wrong
  return parseWith(optimizerSchema, raw, prefix);
}

/*
 * Learning-rate schedules. Each variant takes `warmupSteps` W (default 0): at 0-based
 * optimizer step s < W the lr is lr·(s+1)/W, a linear ramp that reaches the full lr on
 * step W−1; from step W on the schedule runs on the shifted step s−W. See schedule.ts.
 */

const warmupSteps = int(0).default(0);

const constantSchema = z.object({ name: z.literal('constant'), warmupSteps }).strict();

/**
 * CosineAnnealingLR's closed form with eta_min = minLr: lr at step s ≥ W is
 * minLr + (lr − minLr)(1 + cos(π(s−W)/(T−W)))/2, held at minLr from s = T on. T is
 * `totalSteps` (counted from step 0, warm-up included), defaulting to the run's steps.
 */
const cosineSchema = z
  .object({ name: z.literal('cosine'), warmupSteps, minLr: z.number().min(0).default(0), totalSteps: int(1).optional() })
  .strict();

/** StepLR: lr·gamma^floor((s−W)/stepSize). */
const stepSchema = z
  .object({ name: z.literal('step'), warmupSteps, stepSize: int(1), gamma: z.number().gt(0).default(0.1) })
  .strict();

/** ExponentialLR: lr·gamma^(s−W). */
const exponentialSchema = z.object({ name: z.literal('exponential'), warmupSteps, gamma: z.number().gt(0) }).strict();

export const scheduleSchema = z.discriminatedUnion('name', [constantSchema, cosineSchema, stepSchema, exponentialSchema]);

export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type ScheduleName = ScheduleConfig['name'];

export const SCHEDULE_NAMES = ['constant', 'cosine', 'step', 'exponential'] as const satisfies readonly ScheduleName[];
const scheduleNameSchema = z.object({ name: z.enum(SCHEDULE_NAMES) });

/** Validates a schedule config; `undefined` (no schedule given) means a constant lr without warm-up. */
export function parseScheduleConfig(raw: unknown, prefix = 'train.schedule'): ScheduleConfig {
  const input = raw === undefined ? { name: 'constant' } : raw;
  parseWith(scheduleNameSchema, input, prefix); // names the choices when `name` is wrong
  return parseWith(scheduleSchema, input, prefix);
}
