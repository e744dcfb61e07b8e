/**
 * What the comparison view draws, as plain data: each metric's series per run (in one unit per
 * quantity, the same as the run's own charts: percent, MiB), what differs between runs (for
 * legends and the summary table, a whole optimizer or schedule as one setting), and differences
 * against a baseline run.
 */
import { optimizerSchema, scheduleSchema } from '../../engine/optim/config';
import type { LabRunConfig } from '../../engine/runConfig';
import { comparedMetrics, EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import { withX, xMap } from '../charts/xaxis';
import type { XAxisKind } from '../charts/settings';
import type { RunMetrics } from '../lab/metrics';
import { downsample, smooth, type Point, type Reduce } from '../lab/series';

const RUN_METRICS = ['lr', 'gradNorm', 'lossScale', 'tokensPerSec', 'memory'] as const;
export type MetricKey = 'loss' | 'valLoss' | EvalMetricKey | (typeof RUN_METRICS)[number];

/** The metrics compared for runs on these tasks: the losses, each task's own (tasks/metrics.ts), then the run's figures. */
export function metricsFor(configs: readonly Pick<LabRunConfig, 'task'>[]): MetricKey[] {
  return ['loss', 'valLoss', ...comparedMetrics(configs.map((c) => c.task.name)), ...RUN_METRICS];
}

export interface MetricSpec {
  key: MetricKey;
  title: string;
  /** The quantity in a sentence. */
  name: string;
  unit?: string;
  log?: boolean;
  /** Evaluations are sparse: drawn with a dot at each, placed after the steps they follow. */
  evals?: boolean;
  /** A fixed range (percent: 0–100). */
  percent?: boolean;
  /** Steps and values of one run. */
  series(m: RunMetrics): { steps: readonly number[]; values: readonly number[]; reduce: Reduce };
}

/** Validation lines only (a forecast also evaluates its test split at the end). */
const evals = (m: RunMetrics, f: (e: RunMetrics['evals'][number]) => number) => {
  const val = m.evals.filter((e) => e.split === 'val');
  return { steps: val.map((e) => e.step), values: val.map(f), reduce: 'last' as const };
};

/** A task metric (tasks/metrics.ts) of the validation lines; shares in percent, as the run's charts show them. */
function evalMetric(k: EvalMetricKey): MetricSpec {
  const spec = EVAL_METRICS[k];
  const percent = spec.format === 'percent';
  return {
    key: k, title: `${spec.title}, held out${percent ? ' (%)' : ''}`, name: spec.label, evals: true,
    ...(percent ? { unit: '%', percent: true } : {}),
    series: (m) => evals(m, (e) => (e[k] ?? Number.NaN) * (percent ? 100 : 1)),
  };
}

export const METRICS: Record<MetricKey, MetricSpec> = {
  loss: { key: 'loss', title: 'Training loss (smoothed)', name: 'training loss', log: true, series: (m) => ({ steps: m.step, values: smooth(m.loss, 0.6), reduce: 'last' }) },
  valLoss: { key: 'valLoss', title: 'Validation loss', name: 'validation loss', log: true, evals: true, series: (m) => evals(m, (e) => e.loss) },
  ...(Object.fromEntries((Object.keys(EVAL_METRICS) as EvalMetricKey[]).map((k) => [k, evalMetric(k)])) as Record<EvalMetricKey, MetricSpec>),
  lr: { key: 'lr', title: 'Learning rate', name: 'learning rate', series: (m) => ({ steps: m.step, values: m.lr, reduce: 'last' }) },
  gradNorm: { key: 'gradNorm', title: 'Gradient norm', name: 'gradient norm', series: (m) => ({ steps: m.step, values: m.gradNorm, reduce: 'mean' }) },
  lossScale: { key: 'lossScale', title: 'Loss scale', name: 'loss scale', log: true, series: (m) => ({ steps: m.step, values: m.lossScale, reduce: 'last' }) },
  tokensPerSec: { key: 'tokensPerSec', title: 'Throughput (tokens/s)', name: 'tokens per second', series: (m) => ({ steps: m.step, values: m.tokensPerSec, reduce: 'mean' }) },
  memory: {
    key: 'memory', title: 'Measured peak memory (MiB)', name: 'measured peak memory', unit: ' MiB',
    series: (m) => ({ steps: m.memory.step, values: (m.memory.peak.some(Number.isFinite) ? m.memory.peak : m.memory.inUse).map((b) => b / 2 ** 20), reduce: 'max' }),
  },
};

/** A run's points for one metric, at most a few hundred, each with its `x` on the chosen axis. */
export function runPoints(metric: MetricKey, m: RunMetrics, x: XAxisKind = 'step'): (Point & { x: number })[] {
  const spec = METRICS[metric];
  const s = spec.series(m);
  return withX(downsample(s.steps, { v: { values: s.values, reduce: s.reduce } }), xMap(m, x), spec.evals === true);
}

// ---- what differs between runs ----------------------------------------------------------

/** Every leaf of a config by dotted path (arrays as one value). */
function leaves(value: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else out.set(path, JSON.stringify(value ?? null));
  return out;
}

/** The settings whose values are not the same in every run (`train.optimizer.name`, ...). */
export function differingSettings(configs: readonly LabRunConfig[]): string[] {
  const flat = configs.map((c) => leaves(c, '', new Map()));
  const paths = new Set(flat.flatMap((f) => [...f.keys()]));
  return [...paths].filter((p) => new Set(flat.map((f) => f.get(p) ?? 'null')).size > 1);
}

/** Settings that are read as one named thing with arguments: `sgd(lr=0.1, momentum=0.9)`. */
const GROUPS: Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[] }[] } } }> = {
  'train.optimizer': optimizerSchema,
  'train.schedule': scheduleSchema,
};

function get(obj: unknown, path: string): unknown {
  let node = obj;
  for (const k of path.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
  return node;
}

/** A named setting's defaults, and which of its arguments have none (they are always worth naming). */
function defaultsOf(prefix: string, value: Record<string, unknown>): { defaults: Record<string, unknown>; required: Set<string> } {
  const schema = GROUPS[prefix]!;
  const required = new Set<string>();
  let input: Record<string, unknown> = { name: value.name };
  for (let i = 0; i < 8; i++) {
    const r = schema.safeParse(input);
    if (r.success) return { defaults: r.data as Record<string, unknown>, required };
    const missing = (r.error?.issues ?? []).map((x) => String(x.path[0] ?? '')).filter((k) => k && k in value && !(k in input));
    if (missing.length === 0) break;
    for (const k of missing) {
      required.add(k);
      input = { ...input, [k]: value[k] };
    }
  }
  return { defaults: {}, required };
}

const show = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : JSON.stringify(v));

/** A column of the runs table (and a part of a legend label): one setting, or a named one with its arguments. */
export interface SettingColumn {
  key: string;
  label: string;
  value(config: LabRunConfig): string;
}

/**
 * The columns for what differs between runs. An optimizer or schedule whose name differs is one
 * column, `sgd(lr=0.1, momentum=0.9)`, naming only the arguments that differ between the runs
 * and from that optimizer's defaults; when only its arguments differ, each is a column (`lr`).
 */
export function settingColumns(configs: readonly LabRunConfig[]): SettingColumn[] {
  const differing = differingSettings(configs);
  const out: SettingColumn[] = [];
  const grouped = new Set<string>();
  for (const prefix of Object.keys(GROUPS)) {
    const inside = differing.filter((p) => p.startsWith(`${prefix}.`));
    if (!inside.includes(`${prefix}.name`)) continue;
    inside.forEach((p) => grouped.add(p));
    const args = inside.map((p) => p.slice(prefix.length + 1)).filter((k) => k !== 'name');
    out.push({
      key: prefix,
      label: prefix.split('.').at(-1)!,
      value: (c) => {
        const v = (get(c, prefix) ?? {}) as Record<string, unknown>;
        const { defaults, required } = defaultsOf(prefix, v);
        const named = args.filter((k) => k in v && (required.has(k) || JSON.stringify(v[k]) !== JSON.stringify(defaults[k])));
        return `${String(v.name)}${named.length ? `(${named.map((k) => `${k}=${show(v[k])}`).join(', ')})` : ''}`;
      },
    });
  }
  for (const p of differing) {
    if (grouped.has(p)) continue;
    out.push({ key: p, label: settingName(p), value: (c) => settingValue(c, p) });
  }
  return out;
}

/** `train.optimizer.lr` → `lr`: the last part names it well enough, except for a few. */
export function settingName(path: string): string {
  const parts = path.split('.');
  const last = parts.at(-1)!;
  return last === 'name' && parts.length > 1 ? parts.at(-2)! : last;
}

export function settingValue(config: LabRunConfig, path: string): string {
  const node = get(config, path);
  if (node === undefined) return '—';
  return typeof node === 'string' ? node : JSON.stringify(node);
}

/** A legend label naming only what differs: `optimizer=sgd(lr=0.1) · precision=fp16`. */
export function differenceLabel(config: LabRunConfig, columns: readonly SettingColumn[]): string {
  return columns.map((c) => `${c.label}=${c.value(config)}`).join(' · ');
}

/**
 * `run − baseline` at the steps both have, for one metric; the training loss is compared
 * smoothed, as drawn.
 */
export function differencePoints(metric: MetricKey, run: RunMetrics, baseline: RunMetrics, x: XAxisKind = 'step'): (Point & { x: number })[] {
  const spec = METRICS[metric];
  const a = spec.series(run);
  const b = spec.series(baseline);
  const base = new Map<number, number>();
  b.steps.forEach((s, i) => base.set(s, b.values[i]!));
  const steps: number[] = [];
  const values: number[] = [];
  a.steps.forEach((s, i) => {
    const other = base.get(s);
    if (other === undefined) return;
    steps.push(s);
    values.push(a.values[i]! - other);
  });
  return withX(downsample(steps, { v: { values, reduce: a.reduce === 'last' ? 'last' : 'mean' } }), xMap(run, x), spec.evals === true);
}
