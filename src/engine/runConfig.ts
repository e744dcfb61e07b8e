import { z } from 'zod';
import { architecture, parseModelConfig, srcVocab, type ModelConfig } from './config';
import { optimizerSchema, scheduleSchema } from './optim/config';
import { ConfigError, parseWith, type FieldIssue } from './validation';
import { parseTaskConfig, taskVocabulary, type TaskConfig } from '../tasks/registry';
import { sequenceLength } from '../tasks/batches';
import { noSeries, type SeriesSource } from '../tasks/forecast/task';
import type { ForecasterConfig } from './forecaster/config';
import { parseForecastParts, type NormalisedForecastTask } from './forecaster/runConfig';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

/** PyTorch GradScaler's defaults. */
const lossScalerSchema = z
  .object({
    enabled: z.boolean().optional(),
    initScale: z.number().gt(0).default(65536),
    growthFactor: z.number().gt(1).default(2),
    backoffFactor: z.number().gt(0).lt(1).default(0.5),
    growthInterval: int(1).default(2000),
  })
  .strict();

/** The default of `train.readbackEvery`: measured on WebGPU (README, "WebGPU in Node"). */
export const READBACK_EVERY = 8;

/** The `train` block's schema (its fields' defaults and bounds are what the page's config panel shows). */
export const trainSchema = z
  .object({
    batchSize: int(1, 65_536).default(32),
    steps: int(0, 10_000_000).default(1000),
    seed: int(0, 2 ** 32 - 1).default(0),
    optimizer: optimizerSchema.prefault({ name: 'adam', lr: 1e-3 }),
    schedule: scheduleSchema.prefault({ name: 'constant' }),
    gradAccumSteps: int(1, 4096).default(1),
    clipGradNorm: z.number().gt(0).nullable().default(null),
    precision: z.enum(['fp32', 'fp16', 'bf16']).default('fp32'),
    checkpointing: z.union([z.enum(['none', 'layers']), int(1, 256)]).default('none'),
    /** 'activations': checkpointed segments' boundaries wait in host memory between the passes. */
    offload: z.enum(['none', 'activations']).default('none'),
    /** Dynamic loss scaling; on by default under fp16 only. */
    lossScaler: lossScalerSchema.prefault({}),
    /** Evaluate on the held-out set every this many optimizer steps (and after the last). */
    evalEvery: int(1).default(100),
    /** Held-out examples (capped by the task's example space). */
    validationSize: int(1, 100_000).default(256),
    /**
     * Read the losses (and overflow flags) back every this many steps, all at once; skips and
     * loss scales are decided on the device meanwhile. Changes no number, only when they arrive.
     */
    readbackEvery: int(1, 1000).default(READBACK_EVERY),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.batchSize % t.gradAccumSteps !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['gradAccumSteps'],
        message: `batchSize ${t.batchSize} is not divisible by gradAccumSteps ${t.gradAccumSteps}`,
      });
    }
  });

export type TrainConfig = z.output<typeof trainSchema>;
export type Precision = TrainConfig['precision'];

/** A run of the token Transformer on a token task. */
export interface RunConfig {
  model: ModelConfig;
  task: TaskConfig;
  train: TrainConfig;
}

/** A run of the forecaster on a forecast task. */
export interface ForecastRunConfig {
  model: ForecasterConfig;
  task: NormalisedForecastTask;
  train: TrainConfig;
}

/** A run of either kind of model (see modelKind.ts): the token Transformer's, or the forecaster's. */
export type LabRunConfig = RunConfig | ForecastRunConfig;

export const isForecastRun = (run: LabRunConfig): run is ForecastRunConfig => run.task.name === 'forecast';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface RunConfigOptions {
  /**
   * `train --batch`: the run trains on a given batch, so its task makes nothing and constrains
   * nothing; the model's vocabularies and maxLen need not hold the task's (the batch is checked
   * against the model instead, weights/batch.ts). The task still sets vocabularies left out.
   */
  givenBatch?: boolean;
}

/**
 * A run config of either kind, every problem at once: a `forecast` task makes a forecaster run
 * (its series read through `series`, which the command line and the page provide), any other
 * task a token run (`parseRunConfig`). The one place a raw run config is told apart by kind.
 */
export function parseLabRunConfig(
  raw: unknown,
  series: SeriesSource = noSeries('no CSV or shipped series is available here'),
  opts: RunConfigOptions = {},
): LabRunConfig {
  const task = isRecord(raw) && isRecord(raw.task) ? raw.task : undefined;
  const forecaster = isRecord(raw) && isRecord(raw.model) && raw.model.kind === 'forecaster';
  if (forecaster && task?.name !== 'forecast') {
    throw new ConfigError([{ path: 'task.name', message: `a forecaster trains on the forecast task (got ${JSON.stringify(task?.name)})` }]);
  }
  if (task?.name !== 'forecast') return parseRunConfig(raw, opts);
  const doc = raw as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(doc)) {
    if (!['model', 'task', 'train'].includes(key)) issues.push({ path: key, message: `unknown field "${key}"` });
  }
  const parts = parseForecastParts(doc.model, doc.task, series, issues);
  let train: TrainConfig | undefined;
  try {
    train = parseWith(trainSchema, doc.train ?? {}, 'train');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
  }
  if (issues.length > 0 || !parts || !train) throw new ConfigError(issues);
  return { model: parts.model, task: parts.task, train };
}

/** Every problem in the run config at once, each naming its field (`train.optimizer.lr: ...`). */
export function parseRunConfig(raw: unknown, opts: RunConfigOptions = {}): RunConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ path: '', message: 'a run config must be a JSON object with model, task and train' }]);
  }
  const doc = raw as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ConfigError) issues.push(...e.issues);
      else throw e;
      return undefined;
    }
  };
  for (const key of Object.keys(doc)) {
    if (!['model', 'task', 'train'].includes(key)) issues.push({ path: key, message: `unknown field "${key}"` });
  }
  const task = attempt(() => parseTaskConfig(doc.task));
  // A text task's vocabulary needs its text: not loaded, or not fitting the task, is the task's issue.
  const taskVocab = task && attempt(() => taskVocabulary(task).size);
  // With a bad task, a stand-in vocabulary keeps its error from cascading into the model's.
  const vocab = taskVocab ?? 3;
  const model = attempt(() => parseModelConfig(doc.model, { vocab: { src: vocab, tgt: vocab } }));
  const train = attempt(() => parseWith(trainSchema, doc.train ?? {}, 'train'));
  if (task && taskVocab !== undefined && model && !opts.givenBatch) issues.push(...taskFitIssues(task, model));
  if (issues.length > 0 || !task || !model || !train) throw new ConfigError(issues);
  return { model, task, train };
}

/** The model must hold the task's vocabulary and its longest sequence. */
function taskFitIssues(task: TaskConfig, model: ModelConfig): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const vocab = taskVocabulary(task).size;
  const arch = architecture(model);
  const longest = sequenceLength(task, arch);
  if (task.name === 'text') {
    if (arch !== 'decoder-only') {
      issues.push({ path: 'model.nEncoderLayers', message: `the text task trains a decoder-only model (nEncoderLayers 0, nDecoderLayers ≥ 1), not an ${arch} one` });
    }
    if (model.maxLen < longest) issues.push({ path: 'task.contextLength', message: `contextLength ${longest} is longer than the model's maxLen ${model.maxLen}` });
  } else if (model.maxLen < longest) {
    issues.push({ path: 'model.maxLen', message: `maxLen ${model.maxLen} is shorter than the longest sequence the ${task.name} task makes for the ${arch} layout (${longest})` });
  }
  if (arch !== 'decoder-only' && srcVocab(model) < vocab) {
    issues.push({ path: 'model.srcVocabSize', message: `srcVocabSize ${String(model.srcVocabSize)} is smaller than the ${task.name} task's vocabulary (${vocab})` });
  }
  if (model.tgtVocabSize < vocab) {
    issues.push({ path: 'model.tgtVocabSize', message: `tgtVocabSize ${model.tgtVocabSize} is smaller than the ${task.name} task's vocabulary (${vocab})` });
  }
  return issues;
}
