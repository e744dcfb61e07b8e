/**
 * A comparison grid: a base run config and one or two settings to vary. `buildGrid` makes
 * every combination into a checked run config. All runs share the base's model, task, batch
 * size and seed (axes only touch training settings, see axes.ts), so they start from the same
 * initial weights and see the same data in the same order; only the varied settings differ.
 */
import { z } from 'zod';
import { parseLabRunConfig, type LabRunConfig } from '../../engine/runConfig';
import { uiSeries } from '../forecast/files';
import { ConfigError, parseWith, type FieldIssue } from '../../engine/validation';
import { applyAxis, AXES, AXIS_KEYS, AxisValueError, splitValues, type AxisKey } from './axes';

/** Values per axis; more would make a grid nobody can read. */
export const MAX_VALUES = 8;

export const gridSpecSchema = z.object({
  base: z.object({ model: z.unknown(), task: z.unknown(), train: z.unknown() }).strict(),
  axes: z.array(z.object({ key: z.enum(AXIS_KEYS), values: z.string().max(500) }).strict()).min(1).max(2),
}).strict();

export interface GridAxis {
  key: AxisKey;
  /** The values as typed: `adam, sgd(lr=0.1)`. */
  values: string;
}

export interface GridSpec {
  base: { model: unknown; task: unknown; train: unknown };
  axes: GridAxis[];
}

export interface GridCell {
  /** What this run sets, axis by axis (`optimizer: sgd(lr=0.1)`). */
  settings: { key: AxisKey; value: string }[];
  /** `sgd(lr=0.1) · fp16`: the run's name in legends and tables. */
  label: string;
  config: LabRunConfig;
}

const prefixed = (prefix: string, e: ConfigError): FieldIssue[] =>
  e.issues.map((i) => ({ path: i.path ? `${prefix}.${i.path}` : prefix, message: i.message }));

/** Every combination of the axes' values, checked by the engine; throws naming each bad field. */
export function buildGrid(raw: unknown, prefix = 'grid'): GridCell[] {
  const spec = parseWith(gridSpecSchema, raw, prefix) as GridSpec;
  const issues: FieldIssue[] = [];
  const lists = spec.axes.map((axis, i) => {
    const path = `${prefix}.axes.${i}.values`;
    try {
      const values = splitValues(axis.values);
      if (values.length === 0) issues.push({ path, message: `list at least one ${AXES[axis.key].label.toLowerCase()} (for example ${AXES[axis.key].example})` });
      if (values.length > MAX_VALUES) issues.push({ path, message: `at most ${MAX_VALUES} values (got ${values.length})` });
      const repeated = values.find((v, j) => values.indexOf(v) !== j);
      if (repeated !== undefined) issues.push({ path, message: `${JSON.stringify(repeated)} is listed twice` });
      return values;
    } catch (e) {
      if (!(e instanceof AxisValueError)) throw e;
      issues.push({ path, message: e.message });
      return [];
    }
  });
  if (spec.axes.length === 2 && spec.axes[0]!.key === spec.axes[1]!.key) {
    issues.push({ path: `${prefix}.axes.1.key`, message: `varies ${AXES[spec.axes[0]!.key].label.toLowerCase()} twice; pick another setting` });
  }
  try {
    parseLabRunConfig(spec.base, uiSeries);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...prefixed(`${prefix}.base`, e));
  }
  if (issues.length) throw new ConfigError(issues);

  // Each value on its own first: a bad value is named once, in words, not once per cell it is in.
  spec.axes.forEach((axis, i) => {
    for (const value of lists[i]!) {
      const problem = valueProblem(spec.base, axis.key, value);
      if (problem) issues.push({ path: `${prefix}.axes.${i}.values`, message: `${AXES[axis.key].label.toLowerCase()} ${JSON.stringify(value)}: ${problem}` });
    }
  });
  if (issues.length) throw new ConfigError(issues);

  const combos = lists.reduce<string[][]>((acc, values) => acc.flatMap((c) => values.map((v) => [...c, v])), [[]]);
  const cells: GridCell[] = [];
  for (const combo of combos) {
    const settings = combo.map((value, i) => ({ key: spec.axes[i]!.key, value }));
    const label = combo.join(' · ');
    try {
      let train = { ...(spec.base.train as Record<string, unknown>) };
      for (const s of settings) train = applyAxis(train, s.key, s.value);
      cells.push({ settings, label, config: parseLabRunConfig({ ...spec.base, train }, uiSeries) });
    } catch (e) {
      // Values that pass alone but not together (accumulation steps that do not divide a batch size, ...).
      if (e instanceof AxisValueError) issues.push({ path: `${prefix}.axes`, message: `${label}: ${e.message}` });
      else if (e instanceof ConfigError) issues.push({ path: `${prefix}.axes`, message: `${label}: ${e.issues.map((x) => `${x.path.replace(/^train\./, '')} ${x.message}`).join('; ')}` });
      else throw e;
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return cells;
}

/** Where each axis writes in the run config (a problem there is the value's own, named without its path). */
const AXIS_PATHS: Record<AxisKey, string> = {
  optimizer: 'train.optimizer', lr: 'train.optimizer.lr', precision: 'train.precision', checkpointing: 'train.checkpointing',
  gradAccumSteps: 'train.gradAccumSteps', clipGradNorm: 'train.clipGradNorm', schedule: 'train.schedule',
};

/** What is wrong with one axis value applied to the base alone, in words; undefined when nothing. */
function valueProblem(base: GridSpec['base'], key: AxisKey, value: string): string | undefined {
  try {
    parseLabRunConfig({ ...base, train: applyAxis({ ...(base.train as Record<string, unknown>) }, key, value) }, uiSeries);
    return undefined;
  } catch (e) {
    if (e instanceof AxisValueError) return e.message;
    if (!(e instanceof ConfigError)) throw e;
    const own = AXIS_PATHS[key];
    return e.issues.map((i) => {
      const where = i.path === own ? '' : i.path.startsWith(`${own}.`) ? i.path.slice(own.length + 1) : i.path.replace(/^train\./, '');
      return where ? `${where} ${i.message}` : i.message;
    }).join('; ');
  }
}
