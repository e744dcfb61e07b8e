/**
 * The config panel's fields, drawn from the engine's declarations: the task registry's knobs,
 * the optimizer and schedule schemas (read field by field, with their defaults and bounds), and
 * the defaults the engine fills in for a bare config. Only labels and help texts are the page's.
 */
import type { z } from 'zod';
import { OPTIMIZER_NAMES, optimizerSchema, SCHEDULE_NAMES, scheduleSchema } from '../../engine/optim/config';
import { parseRunConfig, trainSchema, type RunConfig } from '../../engine/runConfig';
import { TASK_INFO, type TaskName } from '../../tasks/registry';
import { CORPUS_NAMES } from '../../tasks/text/corpora';
import { TEXT_TOKENIZERS } from '../../tasks/text/task';

/** `names`: text items separated by commas (a forecast's columns); `text`: free text (a dropped file's name), drawn by its own component. */
export type FieldKind = 'number' | 'boolean' | 'select' | 'pair' | 'names' | 'text';

export interface FieldSpec {
  /** Dotted path in the run config, as the engine's messages name it. */
  path: string;
  label: string;
  kind: FieldKind;
  help?: string;
  options?: readonly string[];
  /** Words shown for some options instead of their value. */
  optionLabels?: Readonly<Record<string, string>>;
  /** The engine's default, shown as the placeholder: a blank field means this. */
  placeholder?: string;
  integer?: boolean;
  min?: number;
  max?: number;
  step?: string;
}

/** What the engine fills in for a config that gives only the required fields. */
const BARE: RunConfig = parseRunConfig({
  model: { dModel: 2, nHeads: 1, nDecoderLayers: 1, dFF: 1, maxLen: 256 },
  task: { name: 'copy' },
  train: {},
});

const show = (v: unknown) => (Array.isArray(v) ? v.join(', ') : v === null ? 'off' : String(v));

export const ACTIVATIONS = ['relu', 'gelu'] as const satisfies readonly RunConfig['model']['activation'][];
export const POSITIONALS = ['sinusoidal', 'learned'] as const satisfies readonly RunConfig['model']['positional'][];
export const PRECISIONS = ['fp32', 'fp16', 'bf16'] as const satisfies readonly RunConfig['train']['precision'][];
export const ARCHITECTURES = ['encoder-decoder', 'decoder-only', 'encoder-only'] as const;

const modelDefault = (key: keyof RunConfig['model']) => show(BARE.model[key]);
const trainDefault = (key: keyof RunConfig['train']) => show(BARE.train[key]);

const LABELS: Record<string, string> = {
  lr: 'Learning rate', momentum: 'Momentum', dampening: 'Dampening', nesterov: 'Nesterov momentum', weightDecay: 'Weight decay',
  betas: 'Betas (β1, β2)', eps: 'Epsilon', alpha: 'Smoothing (alpha)', centered: 'Centered', lrDecay: 'LR decay',
  initialAccumulatorValue: 'Initial accumulator', warmupSteps: 'Warm-up steps', minLr: 'Minimum LR', totalSteps: 'Total steps',
  stepSize: 'Step size', gamma: 'Gamma', readbackEvery: 'Read back every (steps)',
};

const HELP: Record<string, string> = {
  totalSteps: "blank: the run's steps",
  warmupSteps: 'linear ramp to the full learning rate',
  gamma: 'factor per step (exponential) or per stepSize steps (step)',
  readbackEvery: 'losses reach the page this many steps at a time (one read from the device); changes no number',
};

interface ZodLike {
  _zod: { def: { type: string; innerType?: ZodLike; defaultValue?: unknown } };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
}

/** One field of a zod object: its kind, default and bounds, unwrapping default/optional. */
function fromSchema(prefix: string, key: string, schema: ZodLike): FieldSpec | undefined {
  let s = schema;
  let placeholder: string | undefined;
  while ((s._zod.def.type === 'default' || s._zod.def.type === 'optional') && s._zod.def.innerType) {
    if (s._zod.def.type === 'default') placeholder = show(s._zod.def.defaultValue);
    s = s._zod.def.innerType;
  }
  const base = { path: `${prefix}.${key}`, label: LABELS[key] ?? key, ...(HELP[key] ? { help: HELP[key] } : {}), ...(placeholder !== undefined ? { placeholder } : {}) };
  switch (s._zod.def.type) {
    case 'number': {
      const big = (v: number | null | undefined) => (v === null || v === undefined || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v);
      const min = big(s.minValue);
      const max = big(s.maxValue);
      return { ...base, kind: 'number', ...(s.isInt ? { integer: true } : {}), ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
    }
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'tuple':
      return { ...base, kind: 'pair' };
    default:
      return undefined; // the `name` literal: drawn as the select
  }
}

export const MODEL_FIELDS: FieldSpec[] = [
  { path: 'model.nEncoderLayers', label: 'Encoder layers', kind: 'number', integer: true, min: 0, placeholder: modelDefault('nEncoderLayers') },
  { path: 'model.nDecoderLayers', label: 'Decoder layers', kind: 'number', integer: true, min: 0, placeholder: modelDefault('nDecoderLayers') },
  { path: 'model.dModel', label: 'Model width (dModel)', kind: 'number', integer: true, min: 2, help: 'even, and divisible by the number of heads' },
  { path: 'model.nHeads', label: 'Attention heads', kind: 'number', integer: true, min: 1 },
  { path: 'model.dFF', label: 'Feed-forward width (dFF)', kind: 'number', integer: true, min: 1 },
  { path: 'model.maxLen', label: 'Max sequence length', kind: 'number', integer: true, min: 1, help: "must cover the task's longest sequence" },
  { path: 'model.dropout', label: 'Dropout', kind: 'number', min: 0, max: 1, step: '0.05', placeholder: modelDefault('dropout') },
  { path: 'model.activation', label: 'Activation', kind: 'select', options: ACTIVATIONS },
  { path: 'model.positional', label: 'Positions', kind: 'select', options: POSITIONALS },
  { path: 'model.normFirst', label: 'Pre-LayerNorm (normFirst)', kind: 'boolean' },
  { path: 'model.layerNormEps', label: 'LayerNorm epsilon', kind: 'number', placeholder: modelDefault('layerNormEps') },
];

/** The bounds the engine declares, said in the field's help. */
function withBounds(spec: FieldSpec): FieldSpec {
  return { ...spec, help: `${spec.help ? `${spec.help}; ` : ''}from ${spec.min ?? '−∞'} to ${spec.max ?? '∞'}` };
}

export const TRAIN_FIELDS: FieldSpec[] = [
  { path: 'train.batchSize', label: 'Batch size', kind: 'number', integer: true, min: 1, placeholder: trainDefault('batchSize') },
  { path: 'train.steps', label: 'Steps', kind: 'number', integer: true, min: 0, placeholder: trainDefault('steps') },
  { path: 'train.seed', label: 'Seed', kind: 'number', integer: true, min: 0, placeholder: trainDefault('seed') },
  { path: 'train.evalEvery', label: 'Evaluate every (steps)', kind: 'number', integer: true, min: 1, placeholder: trainDefault('evalEvery') },
  { path: 'train.validationSize', label: 'Validation examples', kind: 'number', integer: true, min: 1, placeholder: trainDefault('validationSize') },
  { path: 'train.clipGradNorm', label: 'Clip gradient norm', kind: 'number', min: 0, placeholder: 'off', help: 'global 2-norm; blank turns clipping off' },
  withBounds(fromSchema('train', 'readbackEvery', (trainSchema as unknown as z.ZodObject).shape.readbackEvery as unknown as ZodLike)!),
];

export const MEMORY_FIELDS: FieldSpec[] = [
  { path: 'train.precision', label: 'Precision', kind: 'select', options: PRECISIONS, help: 'fp16/bf16: autocast matmuls, fp32 master weights' },
  { path: 'train.gradAccumSteps', label: 'Gradient accumulation (micro-batches)', kind: 'number', integer: true, min: 1, placeholder: trainDefault('gradAccumSteps'), help: 'must divide the batch size' },
  { path: 'train.checkpointing', label: 'Checkpointing', kind: 'select', options: ['none', 'layers', 'every n layers'], help: "recompute layers in the backward pass; each stack's last segment keeps its activations instead, as PyTorch's checkpoint_sequential does" },
  { path: 'train.checkpointingEvery', label: 'Layers per segment', kind: 'number', integer: true, min: 1 },
  {
    path: 'train.offload', label: 'Offload', kind: 'select', options: ['none', 'activations'],
    help: "activations: each recomputed segment's boundary waits in host memory between the passes, off the device (as DeepSpeed offloads); same gradients, some time to copy",
  },
];

export const LOSS_SCALER_FIELDS: FieldSpec[] = [
  { path: 'train.lossScaler.enabled', label: 'Loss scaling', kind: 'select', options: ['auto', 'on', 'off'], help: 'auto: on under fp16 only' },
  { path: 'train.lossScaler.initScale', label: 'Initial scale', kind: 'number', placeholder: show(BARE.train.lossScaler.initScale) },
  { path: 'train.lossScaler.growthFactor', label: 'Growth factor', kind: 'number', placeholder: show(BARE.train.lossScaler.growthFactor) },
  { path: 'train.lossScaler.backoffFactor', label: 'Backoff factor', kind: 'number', placeholder: show(BARE.train.lossScaler.backoffFactor) },
  { path: 'train.lossScaler.growthInterval', label: 'Growth interval', kind: 'number', integer: true, placeholder: show(BARE.train.lossScaler.growthInterval) },
];

/** Where a text task's text comes from: drawn by src/ui/text/TextSourcePicker.tsx, not as plain fields. */
export const TEXT_SOURCE_FIELDS: FieldSpec[] = [
  { path: 'task.corpus', label: 'Corpus', kind: 'select', options: ['', ...CORPUS_NAMES] },
  { path: 'task.file', label: 'Your text', kind: 'text' },
];

export function taskFields(name: TaskName): FieldSpec[] {
  const knobs: FieldSpec[] = TASK_INFO[name].knobs.map((k) => ({
    path: `task.${k.key}`, label: k.label, kind: 'number', help: k.help, integer: true, min: k.min, max: k.max, placeholder: String(k.default),
  }));
  if (name !== 'text') return knobs;
  const tokenizer: FieldSpec = { path: 'task.tokenizer', label: 'Tokenizer', kind: 'select', options: TEXT_TOKENIZERS, help: 'char: one token per character; bpe: byte-pair merges learned on the training part' };
  return [...TEXT_SOURCE_FIELDS, tokenizer, ...knobs];
}

function variantFields(union: { options: readonly unknown[] }, prefix: string): Map<string, FieldSpec[]> {
  const out = new Map<string, FieldSpec[]>();
  for (const option of union.options) {
    const shape = (option as z.ZodObject).shape as unknown as Record<string, ZodLike>;
    const name = ((shape.name as unknown as { _zod: { def: { values: string[] } } })._zod.def.values)[0]!;
    out.set(name, Object.entries(shape).flatMap(([key, s]) => fromSchema(prefix, key, s) ?? []));
  }
  return out;
}

export const OPTIMIZERS: readonly string[] = OPTIMIZER_NAMES;
export const SCHEDULES: readonly string[] = SCHEDULE_NAMES;
export const OPTIMIZER_FIELDS = variantFields(optimizerSchema as unknown as { options: readonly unknown[] }, 'train.optimizer');
export const SCHEDULE_FIELDS = variantFields(scheduleSchema as unknown as { options: readonly unknown[] }, 'train.schedule');
