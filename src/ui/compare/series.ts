/**
 * What the comparison view draws, as plain data: each metric's series per run, what differs
 * between runs (for legends and the summary table), differences against a baseline run, and
 * the summary rows with the best value of each column.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import { comparedMetrics, EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
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
  log?: boolean;
  /** Evaluations are sparse: drawn with a dot at each. */
  dots?: boolean;
  /** Steps and values of one run. */
  series(m: RunMetrics): { steps: readonly number[]; values: readonly number[]; reduce: Reduce };
}

/** Validation lines only (a forecast also evaluates its test split at the end). */
const evals = (m: RunMetrics, f: (e: RunMetrics['evals'][number]) => number) => {
  const val = m.evals.filter((e) => e.split === 'val');
  return { steps: val.map((e) => e.step), values: val.map(f), reduce: 'last' as const };
};

export const METRICS: Record<MetricKey, MetricSpec> = {
  loss: { key: 'loss', title: 'Training loss (smoothed)', log: true, series: (m) => ({ steps: m.step, values: smooth(m.loss, 0.6), reduce: 'last' }) },
  valLoss: { key: 'valLoss', title: 'Validation loss', log: true, dots: true, series: (m) => evals(m, (e) => e.loss) },
  ...(Object.fromEntries(
    (Object.keys(EVAL_METRICS) as EvalMetricKey[]).map((k): [EvalMetricKey, MetricSpec] => [
      k,
      { key: k, title: `${EVAL_METRICS[k].title} (held out)`, dots: true, series: (m) => evals(m, (e) => e[k] ?? Number.NaN) },
    ]),
  ) as Record<EvalMetricKey, MetricSpec>),
  lr: { key: 'lr', title: 'Learning rate', series: (m) => ({ steps: m.step, values: m.lr, reduce: 'last' }) },
  gradNorm: { key: 'gradNorm', title: 'Gradient norm', series: (m) => ({ steps: m.step, values: m.gradNorm, reduce: 'mean' }) },
  lossScale: { key: 'lossScale', title: 'Loss scale', log: true, series: (m) => ({ steps: m.step, values: m.lossScale, reduce: 'last' }) },
  tokensPerSec: { key: 'tokensPerSec', title: 'Throughput (tokens/s)', series: (m) => ({ steps: m.step, values: m.tokensPerSec, reduce: 'mean' }) },
  memory: { key: 'memory', title: 'Memory in use (MiB)', series: (m) => ({ steps: m.memory.step, values: (m.memory.hasBreakdown ? m.memory.peak : m.memory.inUse).map((b) => b / 2 ** 20), reduce: 'max' }) },
};

/** A run's points for one metric, at most a few hundred. */
export function runPoints(metric: MetricKey, m: RunMetrics): Point[] {
  const s = METRICS[metric].series(m);
  return downsample(s.steps, { v: { values: s.values, reduce: s.reduce } });
}

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

/** `train.optimizer.lr` → `lr`: the last part names it well enough, except for a few. */
export function settingName(path: string): string {
  const parts = path.split('.');
  const last = parts.at(-1)!;
  return last === 'name' && parts.length > 1 ? parts.at(-2)! : last;
}

export function settingValue(config: LabRunConfig, path: string): string {
  let node: unknown = config;
  for (const k of path.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
  if (node === undefined) return '—';
  return typeof node === 'string' ? node : JSON.stringify(node);
}

/** A legend label naming only what differs: `optimizer=sgd · precision=fp16`. */
export function differenceLabel(config: LabRunConfig, differing: readonly string[]): string {
  return differing.map((p) => `${settingName(p)}=${settingValue(config, p)}`).join(' · ');
}

/**
 * `run − baseline` at the steps both have, for one metric; the training loss is compared
 * smoothed, as drawn.
 */
export function differencePoints(metric: MetricKey, run: RunMetrics, baseline: RunMetrics): Point[] {
  const a = METRICS[metric].series(run);
  const b = METRICS[metric].series(baseline);
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
  return downsample(steps, { v: { values, reduce: a.reduce === 'last' ? 'last' : 'mean' } });
}
