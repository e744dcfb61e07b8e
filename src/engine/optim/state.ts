import { ConfigError, type FieldIssue } from '../validation';
import { decodeFloat32Base64 } from '../weights/base64';

/** One state tensor as saved: row-major little-endian float32 in base64. */
export interface SavedTensor {
  shape: number[];
  base64: string;
}

/**
 * An optimizer's state, JSON-serialisable (it rides in the weights JSON as an extra key).
 * `step` counts the optimizer's `step()` calls; `slots[param][slot]` are PyTorch's state keys
 * for that parameter (`exp_avg`, `momentum_buffer`, ..., and `step`, a shape-[] tensor, for the
 * optimizers whose PyTorch state counts steps). A parameter that never had a gradient has no
 * entry, as in PyTorch.
 */
export interface OptimizerState {
  name: string;
  step: number;
  slots: Record<string, Record<string, SavedTensor>>;
}

/** What a state must look like to load into a given optimizer. */
export interface StateSpec {
  name: string;
  /** Shape of every parameter, by name. */
  params: ReadonlyMap<string, readonly number[]>;
  /** Tensor slots of each parameter's state (`step` excluded). */
  slots: readonly string[];
  counted: boolean;
  nonNegative: readonly string[];
}

/** A validated state, decoded. A parameter's `step` is 0 for optimizers that do not count steps. */
export interface DecodedState {
  step: number;
  params: Map<string, { step: number; slots: Map<string, Float32Array> }>;
}

const ROOT = 'optimizerState';
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const shapeText = (s: readonly number[]) => `[${s.join(',')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const isShape = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0);

/**
 * Checks everything in `raw` against `spec` and decodes it. Throws one `ConfigError` naming
 * every bad field, e.g. `optimizerState.slots["generator.weight"].exp_avg: shape [3,4] does
 * not match [4,4]`.
 */
export function decodeState(raw: unknown, spec: StateSpec): DecodedState {
  const issues: FieldIssue[] = [];
  const fail = (path: string, message: string) => issues.push({ path, message });
  if (!isRecord(raw)) throw new ConfigError([{ path: ROOT, message: 'must be an object with name, step and slots' }]);
  for (const key of Object.keys(raw)) {
    if (!['name', 'step', 'slots'].includes(key)) fail(ROOT, `unknown field ${JSON.stringify(key)}`);
  }
  if (raw.name !== spec.name) {
    // Another optimizer's slots would only add noise: say what matters.
    fail(`${ROOT}.name`, `${JSON.stringify(raw.name ?? null)} does not match this optimizer (${JSON.stringify(spec.name)})`);
    throw new ConfigError(issues);
  }
  const step = raw.step;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    fail(`${ROOT}.step`, `must be an integer ≥ 0 (got ${JSON.stringify(step ?? null)})`);
  }
  const decoded: DecodedState = { step: typeof step === 'number' ? step : 0, params: new Map() };
  if (!isRecord(raw.slots)) {
    fail(`${ROOT}.slots`, 'must be an object of parameter names');
    throw new ConfigError(issues);
  }
  const expected = spec.counted ? [...spec.slots, 'step'] : [...spec.slots];
  for (const [param, slots] of Object.entries(raw.slots)) {
    const at = `${ROOT}.slots[${JSON.stringify(param)}]`;
    const shape = spec.params.get(param);
    if (!shape) {
      fail(at, 'no such parameter in this optimizer');
      continue;
    }
    if (!isRecord(slots)) {
      fail(at, `must be an object of slots (${expected.join(', ')})`);
      continue;
    }
    const entry = { step: 0, slots: new Map<string, Float32Array>() };
    for (const name of Object.keys(slots)) {
      if (!expected.includes(name)) {
        fail(`${at}.${name}`, `not a slot of ${spec.name}${expected.length ? ` (expected ${expected.join(', ')})` : ' (it keeps no state)'}`);
      }
    }
    for (const name of expected) {
      const path = `${at}.${name}`;
      const t = slots[name];
      if (t === undefined) {
        fail(path, 'is missing');
        continue;
      }
      if (!isRecord(t) || !isShape(t.shape) || typeof t.base64 !== 'string') {
        fail(path, 'must be {shape: number[], base64: string}');
        continue;
      }
      const want = name === 'step' ? [] : shape;
      if (!sameShape(t.shape, want)) {
        fail(path, `shape ${shapeText(t.shape)} does not match ${shapeText(want)}`);
        continue;
      }
      let values: Float32Array;
      try {
        values = decodeFloat32Base64(t.base64);
      } catch (e) {
        fail(path, (e as Error).message);
        continue;
      }
      const size = want.reduce((a, b) => a * b, 1);
      if (values.length !== size) {
        fail(path, `holds ${values.length} values, shape ${shapeText(want)} needs ${size}`);
        continue;
      }
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        fail(path, `value ${bad} is not finite (${String(values[bad])})`);
        continue;
      }
      if (name === 'step') {
        const n = values[0] ?? 0;
        if (!Number.isInteger(n) || n < 0 || n > 2 ** 24) fail(path, `must be a whole number of steps (got ${n})`);
        else entry.step = n;
        continue;
      }
      if (spec.nonNegative.includes(name)) {
        const neg = values.findIndex((v) => v < 0);
        if (neg >= 0) {
          fail(path, `value ${neg} is negative (${values[neg]}), a sum of squares cannot be`);
          continue;
        }
      }
      entry.slots.set(name, values);
    }
    decoded.params.set(param, entry);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return decoded;
}
