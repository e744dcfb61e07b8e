/**
 * The config being edited: field text by dotted path, as typed. `toRaw` builds the run config
 * the engine reads (a blank field is left out, so the engine's default applies; text that is not
 * a number goes through as text, so the engine names the mistake), and `validate` asks the
 * engine and files every message under the field it names.
 */
import { parseLabRunConfig, type LabRunConfig } from '../../engine/runConfig';
import { FORECAST, FORECAST_MODEL_FIELDS, forecastTaskFields } from '../forecast/fields';
import { uiSeries } from '../forecast/files';
import { ConfigError, type FieldIssue } from '../../engine/validation';
import { TASK_NAMES, type TaskName } from '../../tasks/registry';
import { LOSS_SCALER_FIELDS, MEMORY_FIELDS, MODEL_FIELDS, OPTIMIZER_FIELDS, SCHEDULE_FIELDS, taskFields, TRAIN_FIELDS, type FieldSpec } from './fields';

export type Draft = Readonly<Record<string, string | boolean>>;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** Typed text → a number, nothing (blank) or the text itself (for the engine to refuse). */
export function numberOf(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return NUMBER.test(t) ? Number(t) : t;
}

const text = (d: Draft, path: string) => {
  const v = d[path];
  return typeof v === 'string' ? v : '';
};

/** Every field that applies to the draft as it stands (its task, optimizer and schedule). */
export function activeFields(d: Draft): FieldSpec[] {
  const task = text(d, 'task.name') as TaskName;
  const forecast = text(d, 'task.name') === FORECAST;
  return [
    ...(forecast ? FORECAST_MODEL_FIELDS : MODEL_FIELDS),
    ...(forecast ? forecastTaskFields(text(d, 'task.source')) : TASK_NAMES.includes(task) ? taskFields(task) : []),
    ...TRAIN_FIELDS,
    ...(OPTIMIZER_FIELDS.get(text(d, 'train.optimizer.name')) ?? []),
    ...(SCHEDULE_FIELDS.get(text(d, 'train.schedule.name')) ?? []),
    ...MEMORY_FIELDS,
    ...LOSS_SCALER_FIELDS,
  ];
}

function set(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

function valueOf(spec: FieldSpec, d: Draft): unknown {
  const v = d[spec.path];
  if (spec.kind === 'boolean') return typeof v === 'boolean' ? v : undefined;
  if (typeof v !== 'string') return undefined;
  if (spec.kind === 'select' || spec.kind === 'text') return v === '' ? undefined : v;
  if (spec.kind === 'pair') return v.trim() === '' ? undefined : v.split(',').map(numberOf);
  if (spec.kind === 'names') return v.trim() === '' ? undefined : v.split(',').map((s) => s.trim());
  return numberOf(v);
}

/** The raw run config of a draft, as the engine will read it. */
export function toRaw(d: Draft): { model: Record<string, unknown>; task: Record<string, unknown>; train: Record<string, unknown> } {
  const raw = { model: {}, task: { name: text(d, 'task.name') }, train: { optimizer: { name: text(d, 'train.optimizer.name') }, schedule: { name: text(d, 'train.schedule.name') } } };
  // A forecast reads a shipped series or a dropped CSV (`task.csv` names it), with a forecaster.
  if (text(d, 'task.name') === FORECAST) {
    set(raw, 'model.kind', 'forecaster');
    if (text(d, 'task.source') === 'csv') set(raw, 'task.csv', text(d, 'task.csv'));
  }
  for (const spec of activeFields(d)) {
    if (spec.path === 'train.checkpointing' || spec.path === 'train.checkpointingEvery' || spec.path === 'train.lossScaler.enabled' || spec.path === 'task.source') continue;
    const v = valueOf(spec, d);
    if (v !== undefined) set(raw, spec.path, v);
  }
  if (text(d, 'train.clipGradNorm').trim() === '') set(raw, 'train.clipGradNorm', null);
  const ckpt = text(d, 'train.checkpointing');
  if (ckpt === 'every n layers') set(raw, 'train.checkpointing', numberOf(text(d, 'train.checkpointingEvery')) ?? '');
  else if (ckpt) set(raw, 'train.checkpointing', ckpt);
  const scaling = text(d, 'train.lossScaler.enabled');
  if (scaling === 'on' || scaling === 'off') set(raw, 'train.lossScaler.enabled', scaling === 'on');
  return raw;
}

export interface Validation {
  raw: ReturnType<typeof toRaw>;
  /** The engine's normalised config when every field is valid. */
  run?: LabRunConfig;
  /** Messages by field path. */
  byField: ReadonlyMap<string, string[]>;
  /** Messages that name no field on the panel (shown at its top, with their path). */
  general: FieldIssue[];
}

/** Asks the engine about the draft and files each message under its field. */
export function validate(d: Draft): Validation {
  const raw = toRaw(d);
  let run: LabRunConfig | undefined;
  let issues: FieldIssue[] = [];
  try {
    run = parseLabRunConfig(raw, uiSeries);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues = e.issues;
  }
  const paths = activeFields(d).map((f) => f.path).sort((a, b) => b.length - a.length);
  const byField = new Map<string, string[]>();
  const general: FieldIssue[] = [];
  for (const issue of issues) {
    let field = paths.find((p) => issue.path === p || issue.path.startsWith(`${p}.`));
    if (issue.path === 'train.checkpointing' && text(d, 'train.checkpointing') === 'every n layers') field = 'train.checkpointingEvery';
    if (issue.path === 'task.csv') field = 'task.source';
    if (field) byField.set(field, [...(byField.get(field) ?? []), issue.message]);
    else general.push(issue);
  }
  return { raw, byField, general, ...(run ? { run } : {}) };
}

const str = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v));

function get(obj: unknown, path: string): unknown {
  let node = obj;
  for (const k of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/**
 * A draft from a run config (a preset file, or the normalised config of an imported run): every
 * value it gives is filled in, everything else stays blank (the engine's default).
 */
export function draftFrom(config: unknown): Draft {
  const d: Record<string, string | boolean> = {
    'task.name': str(get(config, 'task.name') ?? 'reverse'),
    'train.optimizer.name': str(get(config, 'train.optimizer.name') ?? 'adam'),
    'train.schedule.name': str(get(config, 'train.schedule.name') ?? 'constant'),
    'model.activation': str(get(config, 'model.activation') ?? (get(config, 'task.name') === FORECAST ? 'gelu' : 'relu')),
    'model.useNorm': get(config, 'model.useNorm') !== false,
    'task.source': get(config, 'task.csv') !== undefined ? 'csv' : 'dataset',
    'task.dataset': str(get(config, 'task.dataset') ?? 'seattle-weather'),
    'task.csv': str(get(config, 'task.csv') ?? ''),
    'model.positional': str(get(config, 'model.positional') ?? 'sinusoidal'),
    'model.normFirst': get(config, 'model.normFirst') !== false,
    'train.precision': str(get(config, 'train.precision') ?? 'fp32'),
    'train.checkpointing': 'none',
    'train.checkpointingEvery': '2',
    'train.offload': str(get(config, 'train.offload') ?? 'none'),
    'train.lossScaler.enabled': 'auto',
  };
  for (const spec of activeFields(d)) {
    const v = get(config, spec.path);
    if (v === undefined || spec.path in d) continue;
    d[spec.path] = spec.kind === 'boolean' ? v === true : v === null ? '' : str(v);
  }
  const ckpt = get(config, 'train.checkpointing');
  if (typeof ckpt === 'number') Object.assign(d, { 'train.checkpointing': 'every n layers', 'train.checkpointingEvery': String(ckpt) });
  else if (ckpt === 'layers') d['train.checkpointing'] = 'layers';
  const scaling = get(config, 'train.lossScaler.enabled');
  if (typeof scaling === 'boolean') d['train.lossScaler.enabled'] = scaling ? 'on' : 'off';
  // Boolean fields of the chosen optimizer start at their value (a checkbox has no blank).
  for (const spec of activeFields(d)) if (spec.kind === 'boolean' && !(spec.path in d)) d[spec.path] = spec.placeholder === 'true';
  return d;
}

/** A draft with one field changed; changing the optimizer or schedule keeps fields they share. */
export function change(d: Draft, path: string, value: string | boolean): Draft {
  const next: Record<string, string | boolean> = { ...d, [path]: value };
  if (path === 'train.optimizer.name' || path === 'train.schedule.name') {
    for (const spec of activeFields(next)) if (spec.kind === 'boolean' && !(spec.path in next)) next[spec.path] = spec.placeholder === 'true';
  }
  return next;
}
