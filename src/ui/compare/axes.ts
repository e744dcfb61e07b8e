/**
 * The settings a comparison may vary, and how a typed value list becomes config values. Only
 * training settings are offered: the model (and so the initial weights, which follow from the
 * seed and the model alone), the task, the batch size and the seed stay those of the base
 * config, so every run of a grid starts from the same weights and sees the same data.
 *
 * Values are typed as a comma-separated list. Optimizer and schedule values may carry their
 * own arguments in parentheses: `adam, sgd(lr=0.1, momentum=0.9)`.
 */

export const AXIS_KEYS = ['optimizer', 'lr', 'precision', 'checkpointing', 'gradAccumSteps', 'clipGradNorm', 'schedule'] as const;
export type AxisKey = (typeof AXIS_KEYS)[number];

export interface AxisSpec {
  key: AxisKey;
  label: string;
  /** What the value list looks like, shown as the placeholder. */
  example: string;
}

export const AXES: Record<AxisKey, AxisSpec> = {
  optimizer: { key: 'optimizer', label: 'Optimizer', example: 'adam, sgd(lr=0.1, momentum=0.9)' },
  lr: { key: 'lr', label: 'Learning rate', example: '0.001, 0.003, 0.01' },
  precision: { key: 'precision', label: 'Precision', example: 'fp32, fp16, bf16' },
  checkpointing: { key: 'checkpointing', label: 'Checkpointing', example: 'none, layers' },
  gradAccumSteps: { key: 'gradAccumSteps', label: 'Accumulation steps', example: '1, 4, 8' },
  clipGradNorm: { key: 'clipGradNorm', label: 'Gradient clipping', example: 'none, 1.0' },
  schedule: { key: 'schedule', label: 'Schedule', example: 'constant, cosine(warmupSteps=10)' },
};

export const isAxisKey = (v: unknown): v is AxisKey => (AXIS_KEYS as readonly unknown[]).includes(v);

/** A value that cannot be read, with the reason. */
export class AxisValueError extends Error {}

/** Splits at top-level commas (not inside parentheses); blank items are dropped. */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new AxisValueError('has a ")" without its "("');
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (depth !== 0) throw new AxisValueError('has a "(" without its ")"');
  out.push(current.trim());
  return out.filter((v) => v !== '');
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function scalar(text: string): number | boolean | string {
  const t = text.trim();
  if (NUMBER.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

/** `name(key=value, ...)` → the name and its arguments (numbers, booleans or words). */
function call(text: string): { name: string; args: Record<string, unknown> } {
  const m = /^([A-Za-z][\w-]*)\s*(?:\((.*)\))?$/s.exec(text.trim());
  if (!m) throw new AxisValueError(`cannot read ${JSON.stringify(text)}: expected a name, optionally with (key=value, ...)`);
  const args: Record<string, unknown> = {};
  for (const part of (m[2] ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const kv = /^([A-Za-z]\w*)\s*=\s*(.+)$/.exec(part);
    if (!kv) throw new AxisValueError(`cannot read ${JSON.stringify(part)} in ${JSON.stringify(text)}: expected key=value`);
    const key = kv[1]!;
    const raw = kv[2]!.trim();
    // Pairs such as betas=0.9 0.98 are written with a space.
    args[key] = /\s/.test(raw) ? raw.split(/\s+/).map(scalar) : scalar(raw);
  }
  return { name: m[1]!, args };
}

type Raw = Record<string, unknown>;
const record = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});

/**
 * The base config's train section with one axis value applied. The engine checks the result,
 * so an unknown optimizer or a bad number is reported in its words.
 */
export function applyAxis(train: Raw, key: AxisKey, text: string): Raw {
  switch (key) {
    case 'optimizer': {
      const { name, args } = call(text);
      const base = record(train.optimizer);
      // The same optimizer keeps the base's arguments; another one keeps only the learning rate.
      const start = base.name === name ? base : { name, ...(base.lr !== undefined ? { lr: base.lr } : {}) };
      return { ...train, optimizer: { ...start, ...args, name } };
    }
    case 'schedule': {
      const { name, args } = call(text);
      const base = record(train.schedule);
      const start = base.name === name ? base : {};
      return { ...train, schedule: { ...start, ...args, name } };
    }
    case 'lr':
      return { ...train, optimizer: { ...record(train.optimizer), lr: scalar(text) } };
    case 'precision':
      return { ...train, precision: text.trim() };
    case 'checkpointing': {
      const v = scalar(text);
      return { ...train, checkpointing: v };
    }
    case 'gradAccumSteps':
      return { ...train, gradAccumSteps: scalar(text) };
    case 'clipGradNorm': {
      const t = text.trim();
      return { ...train, clipGradNorm: t === 'none' || t === 'off' ? null : scalar(t) };
    }
  }
}
