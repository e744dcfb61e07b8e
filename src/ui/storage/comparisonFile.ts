/**
 * A whole comparison as one JSON file: the comparison, every run (config, status, metrics)
 * and every run's checkpoint (weights JSON with optimizer state), so another browser can open
 * it, read the charts and resume the runs. Reading checks everything before anything is kept,
 * and gives the imported comparison and runs new ids so that nothing already kept is replaced.
 */
import { z } from 'zod';
import { parseLabRunConfig } from '../../engine/runConfig';
import { ConfigError, parseWith, type FieldIssue } from '../../engine/validation';
import { EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import { copyMetrics, type MetricsData } from '../../worker/metricsData';
import { uiSeries } from '../forecast/files';
import { gridSpecSchema } from '../compare/grid';
import type { Checkpoint, Comparison, KeptRun } from './records';

export const COMPARISON_FORMAT = 'transformer-lab/comparison';

/** JSON has no NaN: gaps in a column (no loss scale, no breakdown) travel as null. */
const column = z.array(z.number().nullable()).transform((a) => a.map((v) => v ?? Number.NaN));

/** A number, or null for NaN (JSON has none). */
const maybeNaN = z.number().nullable().transform((v) => v ?? Number.NaN);
const taskMetrics = Object.fromEntries((Object.keys(EVAL_METRICS) as EvalMetricKey[]).map((k) => [k, maybeNaN.optional()])) as Record<EvalMetricKey, z.ZodOptional<typeof maybeNaN>>;

/**
 * An evaluation line: `loss` and the task's metrics (tasks/metrics.ts), on validation (or a
 * forecast's test split), with what the task adds: a text run's sample, a forecast's evaluation memory.
 */
const evalSchema = z.object({
  step: z.number().int().min(0), split: z.enum(['val', 'test']), loss: maybeNaN,
  ...taskMetrics,
  sample: z.object({ prompt: z.string(), text: z.string() }).optional(),
  evalPeakBytes: z.number().optional(), hostTargetBytes: z.number().optional(),
});

const metricsSchema = z.object({
  step: column, loss: column, lr: column, gradNorm: column, tokensPerSec: column, stepMs: column, lossScale: column, skipped: column,
  // Files written before the lab marked warm-up steps have none.
  warmup: column.default([]),
  // Files written before steps carried their live tensors have none (NaN when read).
  liveTensors: column.default([]), liveBytes: column.default([]),
  evals: z.array(evalSchema),
  memory: z.object({
    step: column, peak: column, inUse: column, allocated: column, hasBreakdown: z.boolean(),
    // Files written before runs could offload have no host column (NaN when read).
    host: column.default([]),
    categories: z.object({ parameters: column, gradients: column, optimizerState: column, savedActivations: column, halfCopies: column, other: column }),
  }),
}).refine((m) => [m.loss, m.lr, m.gradNorm, m.tokensPerSec, m.stepMs, m.lossScale].every((c) => c.length === m.step.length), { message: 'every per-step column must have one value per step' });

const runSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1).max(200),
  config: z.unknown(),
  status: z.enum(['queued', 'running', 'paused', 'stopped', 'cancelled', 'done', 'failed', 'interrupted']),
  step: z.number().int().min(0),
  targetSteps: z.number().int().min(0),
  activeMs: z.number().min(0),
  predictedPeak: z.number().optional(),
  message: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number().optional(),
  metrics: metricsSchema,
  checkpoint: z.object({ step: z.number().int().min(0), text: z.string() }).optional(),
});

const fileSchema = z.object({
  format: z.literal(COMPARISON_FORMAT),
  version: z.literal(1),
  comparison: z.object({ name: z.string().min(1).max(200), createdAt: z.number(), grid: gridSpecSchema.optional() }),
  runs: z.array(runSchema).max(256),
});

/** A run as a file holds it: its record and its whole metric history. */
export type FileRun = KeptRun & { metrics: MetricsData };

/** The file's text (pretty enough to read, NaN written as null). */
export function comparisonFileText(comparison: Comparison, runs: FileRun[], checkpoints: Checkpoint[]): string {
  const byRun = new Map(checkpoints.map((c) => [c.runId, c]));
  const file = {
    format: COMPARISON_FORMAT,
    version: 1,
    comparison: { name: comparison.name, createdAt: comparison.createdAt, ...(comparison.grid ? { grid: comparison.grid } : {}) },
    runs: runs.map(({ comparisonId: _, checkpointStep: __, ...r }) => {
      const c = byRun.get(r.id);
      return { ...r, ...(c ? { checkpoint: { step: c.step, text: c.text } } : {}) };
    }),
  };
  return JSON.stringify(file) + '\n';
}

export interface ReadComparison {
  comparison: Comparison;
  runs: KeptRun[];
  /** Each run's metric history, by its new id. */
  metrics: Map<string, MetricsData>;
  checkpoints: Checkpoint[];
}

/** Reads a comparison file; throws a ConfigError naming every bad field, keeping nothing. */
export function parseComparisonFile(text: string, newId: (prefix: string) => string): ReadComparison {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([{ path: 'file', message: `is not JSON: ${(e as Error).message}` }]);
  }
  const file = parseWith(fileSchema, raw, '');
  const issues: FieldIssue[] = [];
  const comparison: Comparison = { id: newId('cmp'), name: file.comparison.name, createdAt: Date.now(), ...(file.comparison.grid ? { grid: file.comparison.grid } : {}) };
  const runs: KeptRun[] = [];
  const metrics = new Map<string, MetricsData>();
  const checkpoints: Checkpoint[] = [];
  file.runs.forEach((r, i) => {
    try {
      // A run's data must be at hand as for any config: a shipped corpus or series, or a file dropped here.
      const config = parseLabRunConfig(r.config, uiSeries);
      const id = newId('run');
      const { checkpoint, metrics: history, ...rest } = r;
      if (checkpoint && !isWeightsJson(checkpoint.text)) issues.push({ path: `runs.${i}.checkpoint.text`, message: 'is not a weights JSON of the lab' });
      if (checkpoint) checkpoints.push({ runId: id, step: checkpoint.step, text: checkpoint.text });
      metrics.set(id, copyMetrics(history)); // older files' missing columns become NaN
      runs.push({ ...rest, id, config, comparisonId: comparison.id, createdAt: comparison.createdAt + i, ...(checkpoint ? { checkpointStep: checkpoint.step } : {}) });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      issues.push(...e.issues.map((x) => ({ path: `runs.${i}.config${x.path ? `.${x.path}` : ''}`, message: x.message })));
    }
  });
  if (issues.length) throw new ConfigError(issues);
  return { comparison, runs, metrics, checkpoints };
}

function isWeightsJson(text: string): boolean {
  try {
    return (JSON.parse(text) as { format?: unknown }).format === 'transformer-lab/weights';
  } catch {
    return false;
  }
}
