/**
 * The lab's weights JSON (reference README, "Weights JSON"): reading and writing it as plain data.
 * No TF.js here: the engine turns `NamedTensor`s into variables elsewhere.
 */
import { parseLabModelConfig, specsOf, transformerConfig, type LabModelConfig } from '../modelKind';
import { sizeOf } from '../params';
import { ConfigError, type FieldIssue } from '../validation';
import { Base64Error, decodeFloat32Base64, encodeFloat32Base64 } from './base64';
import { parseTokenizer, type Tokenizer } from '../../tasks/text/tokenizer';

export const WEIGHTS_FORMAT = 'transformer-lab/weights';
export const WEIGHTS_VERSION = 1;

/** One parameter's values, row-major. */
export type NamedTensor = { shape: number[]; values: Float32Array };

export type TensorEncoding = 'data' | 'base64';

/** A tensor as the JSON carries it: `data` (flat numbers) or `base64` (little-endian float32 bytes). */
export interface TensorJson {
  shape: number[];
  dtype: 'float32';
  data?: number[];
  base64?: string;
}

export interface WeightsDocument {
  format: typeof WEIGHTS_FORMAT;
  version: typeof WEIGHTS_VERSION;
  config: LabModelConfig;
  tensors: Record<string, TensorJson>;
  /** Other top-level keys: optimizer state, loss-scaler state, training metadata. */
  [key: string]: unknown;
}

export interface ParsedWeights {
  config: LabModelConfig;
  /** Every parameter of the config, in `paramSpecs` (PyTorch `state_dict()`) order. */
  tensors: Map<string, NamedTensor>;
  /** The document's top-level keys other than format, version, config and tensors. */
  extra: Record<string, unknown>;
  /** A text model's tokenizer (the `tokenizer` key), checked; absent when the file has none. */
  tokenizer?: Tokenizer;
}

const RESERVED = new Set(['format', 'version', 'config', 'tensors']);

/** How many names a message lists before it says "and N more". */
const LIST_MAX = 5;

export const tensorPath = (name: string) => `tensors[${JSON.stringify(name)}]`;

const showShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A short rendering of a JSON value for messages. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.length > 8 ? `an array of ${v.length} items` : clip(JSON.stringify(v));
  if (v !== null && typeof v === 'object') return 'an object';
  return clip(JSON.stringify(v) ?? String(v));
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);

/** Names listed in a message, at most `LIST_MAX`, then "and N more". */
function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LIST_MAX).map((n) => JSON.stringify(n)).join(', ');
  return names.length > LIST_MAX ? `${shown} and ${names.length - LIST_MAX} more` : shown;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Index of the first value that is not finite, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) return i;
  }
  return -1;
}

// ---- writing -------------------------------------------------------------------------

/**
 * One tensor as JSON. `data` holds the float32 values as JS numbers (exact: every float32 is a
 * double); `base64` holds their little-endian bytes. Refuses non-finite values: JSON has no NaN or
 * Infinity. `name` only serves the messages.
 */
export function tensorToJson(name: string, tensor: NamedTensor, encoding: TensorEncoding): TensorJson {
  const { shape, values } = tensor;
  if (!(values instanceof Float32Array)) {
    throw new ConfigError([{ path: tensorPath(name), message: 'values must be a Float32Array' }]);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ConfigError([{ path: `${tensorPath(name)}.shape`, message: `must be an array of non-negative integers (got ${show(shape)})` }]);
  }
  if (values.length !== sizeOf(shape)) {
    throw new ConfigError([{ path: tensorPath(name), message: `has ${values.length} values, the shape ${showShape(shape)} needs ${sizeOf(shape)}` }]);
  }
  const bad = firstNonFinite(values);
  if (bad >= 0) {
    throw new ConfigError([{
      path: tensorPath(name),
      message: `cannot export the non-finite value ${String(values[bad])} at index ${bad}: JSON has no NaN or Infinity`,
    }]);
  }
  const out: TensorJson = { shape: [...shape], dtype: 'float32' };
  if (encoding === 'base64') out.base64 = encodeFloat32Base64(values);
  else out.data = Array.from(values);
  return out;
}

/**
 * The weights document of a model: `{format, version, config, tensors, ...extra}` with the tensors
 * in `paramSpecs` order. `tensors` must hold exactly the config's parameters with their shapes.
 */
export function exportWeights(
  config: LabModelConfig,
  tensors: Map<string, NamedTensor>,
  opts: { encoding: TensorEncoding; extra?: Record<string, unknown> },
): WeightsDocument {
  const specs = specsOf(config);
  const issues: FieldIssue[] = [];
  const missing = specs.filter((s) => !tensors.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    issues.push({ path: 'tensors', message: `missing ${plural(missing.length, 'tensor')} the config needs: ${listNames(missing)}` });
  }
  const known = new Set(specs.map((s) => s.name));
  const unexpected = [...tensors.keys()].filter((n) => !known.has(n));
  if (unexpected.length > 0) {
    issues.push({ path: 'tensors', message: `${plural(unexpected.length, 'unexpected tensor')} the config does not have: ${listNames(unexpected)}` });
  }
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (t && !sameShape(t.shape, spec.shape)) {
      issues.push({ path: `${tensorPath(spec.name)}.shape`, message: `${showShape(t.shape)} does not match the config's ${showShape(spec.shape)}` });
    }
  }
  const clash = Object.keys(opts.extra ?? {}).filter((k) => RESERVED.has(k));
  if (clash.length > 0) {
    issues.push({ path: 'extra', message: `may not set the reserved ${clash.length === 1 ? 'key' : 'keys'} ${listNames(clash)}` });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const out: Record<string, TensorJson> = {};
  for (const spec of specs) out[spec.name] = tensorToJson(spec.name, tensors.get(spec.name)!, opts.encoding);
  return { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, config: { ...config }, tensors: out, ...opts.extra };
}

// ---- reading -------------------------------------------------------------------------

/**
 * Reads one tensor of the JSON (`{shape, dtype: "float32", data | base64}`); `path` names it in
 * messages. Unknown keys inside the tensor are ignored. Throws `ConfigError`.
 */
export function tensorFromJson(raw: unknown, path: string): NamedTensor {
  const issues: FieldIssue[] = [];
  const t = readTensor(raw, path, undefined, issues);
  if (!t) throw new ConfigError(issues);
  return t;
}

/**
 * Checks and decodes one tensor; pushes at most a few issues and returns undefined on failure.
 * `expected` is the config's shape, when known.
 */
function readTensor(raw: unknown, path: string, expected: readonly number[] | undefined, issues: FieldIssue[]): NamedTensor | undefined {
  if (!isRecord(raw)) {
    issues.push({ path, message: `must be an object {shape, dtype, data | base64} (got ${show(raw)})` });
    return undefined;
  }
  const before = issues.length;
  const shape = raw.shape;
  let validShape: number[] | undefined;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    issues.push({ path: `${path}.shape`, message: shape === undefined ? 'is required (an array of non-negative integers)' : `must be an array of non-negative integers (got ${show(shape)})` });
  } else if (expected && !sameShape(shape as number[], expected)) {
    issues.push({ path: `${path}.shape`, message: `${showShape(shape as number[])} does not match the config's ${showShape(expected)}` });
  } else {
    validShape = shape as number[];
  }
  if (raw.dtype !== 'float32') {
    issues.push({ path: `${path}.dtype`, message: raw.dtype === undefined ? 'is required ("float32")' : `must be "float32" (got ${show(raw.dtype)})` });
  }
  const hasData = raw.data !== undefined;
  const hasBase64 = raw.base64 !== undefined;
  if (hasData && hasBase64) {
    issues.push({ path, message: 'has both "data" and "base64"; a tensor carries exactly one of them' });
  } else if (!hasData && !hasBase64) {
    issues.push({ path, message: 'has neither "data" nor "base64"; a tensor carries exactly one of them' });
  }
  if (issues.length > before || !validShape) return undefined;

  const need = sizeOf(validShape);
  let values: Float32Array;
  if (hasBase64) {
    const where = `${path}.base64`;
    if (typeof raw.base64 !== 'string') {
      issues.push({ path: where, message: `must be a string (got ${show(raw.base64)})` });
      return undefined;
    }
    try {
      values = decodeFloat32Base64(raw.base64);
    } catch (e) {
      if (!(e instanceof Base64Error)) throw e;
      issues.push({ path: where, message: e.message });
      return undefined;
    }
    if (values.length !== need) {
      issues.push({ path: where, message: `decodes to ${plural(values.length, 'value')}, the shape ${showShape(validShape)} needs ${need}` });
      return undefined;
    }
    const bad = firstNonFinite(values);
    if (bad >= 0) {
      issues.push({ path: where, message: `value ${String(values[bad])} at index ${bad} is not finite` });
      return undefined;
    }
  } else {
    const where = `${path}.data`;
    const data = raw.data;
    if (!Array.isArray(data)) {
      issues.push({ path: where, message: `must be a flat array of numbers (got ${show(data)})` });
      return undefined;
    }
    if (data.length !== need) {
      issues.push({ path: where, message: `has ${plural(data.length, 'value')}, the shape ${showShape(validShape)} needs ${need}` });
      return undefined;
    }
    values = new Float32Array(need);
    for (let i = 0; i < need; i++) {
      const x: unknown = data[i];
      if (typeof x !== 'number') {
        const hint = x === null ? ' (JSON.stringify writes NaN and Infinity as null)' : Array.isArray(x) ? ' (data is flat, row-major)' : '';
        issues.push({ path: `${where}[${i}]`, message: `must be a number (got ${show(x)})${hint}` });
        return undefined;
      }
      if (!Number.isFinite(x)) {
        issues.push({ path: `${where}[${i}]`, message: `value ${String(x)} is not finite` });
        return undefined;
      }
      values[i] = x;
      if (!Number.isFinite(values[i]!)) {
        issues.push({ path: `${where}[${i}]`, message: `value ${String(x)} is outside the float32 range` });
        return undefined;
      }
    }
  }
  return { shape: [...validShape], values };
}

/**
 * Reads a weights document (already parsed JSON): checks the format, the version, the model config
 * and that the tensors are exactly the config's parameters with its shapes. Accepts `data` and
 * `base64` tensors, and files written by `torch_reference.py`. Throws `ConfigError`.
 */
export function parseWeights(raw: unknown): ParsedWeights {
  if (!isRecord(raw)) {
    throw new ConfigError([{ path: '', message: `a weights file must be a JSON object (got ${Array.isArray(raw) ? 'an array' : show(raw)})` }]);
  }
  if (raw.format !== WEIGHTS_FORMAT) {
    throw new ConfigError([{
      path: 'format',
      message: raw.format === undefined
        ? `is required ("${WEIGHTS_FORMAT}"): this is not a transformer-lab weights file`
        : `must be "${WEIGHTS_FORMAT}" (got ${show(raw.format)}): this is not a transformer-lab weights file`,
    }]);
  }
  if (raw.version !== WEIGHTS_VERSION) {
    throw new ConfigError([{
      path: 'version',
      message: raw.version === undefined
        ? `is required (${WEIGHTS_VERSION})`
        : `must be ${WEIGHTS_VERSION} (got ${show(raw.version)}): this reader knows version ${WEIGHTS_VERSION} only`,
    }]);
  }
  const config = parseLabModelConfig(raw.config, { prefix: 'config' });
  const tensorsRaw = raw.tensors;
  if (!isRecord(tensorsRaw)) {
    throw new ConfigError([{
      path: 'tensors',
      message: tensorsRaw === undefined ? 'is required (an object mapping parameter names to tensors)' : `must be an object mapping parameter names to tensors (got ${show(tensorsRaw)})`,
    }]);
  }

  const specs = specsOf(config);
  const issues: FieldIssue[] = [];
  const missing = specs.filter((s) => !Object.hasOwn(tensorsRaw, s.name)).map((s) => s.name);
  if (missing.length > 0) {
    issues.push({ path: 'tensors', message: `missing ${plural(missing.length, 'tensor')} the config needs: ${listNames(missing)}` });
  }
  const known = new Set(specs.map((s) => s.name));
  const unexpected = Object.keys(tensorsRaw).filter((n) => !known.has(n));
  if (unexpected.length > 0) {
    issues.push({ path: 'tensors', message: `${plural(unexpected.length, 'unexpected tensor')} the config does not have: ${listNames(unexpected)}` });
  }
  const tensors = new Map<string, NamedTensor>();
  for (const spec of specs) {
    if (!Object.hasOwn(tensorsRaw, spec.name)) continue;
    const t = readTensor(tensorsRaw[spec.name], tensorPath(spec.name), spec.shape, issues);
    if (t) tensors.set(spec.name, t);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  // Only a token Transformer reads text: a forecaster's file with a tokenizer is refused.
  const tokenizer = raw.tokenizer === undefined ? undefined : parseTokenizer(raw.tokenizer, 'tokenizer', transformerConfig(config, 'tokenizer').tgtVocabSize);

  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!RESERVED.has(k)) extra[k] = v;
  return { config, tensors, extra, ...(tokenizer ? { tokenizer } : {}) };
}

/** `JSON.parse` then `parseWeights`, with a clear message for text that is not JSON. */
export function parseWeightsText(text: string): ParsedWeights {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ConfigError([{ path: '', message: `weights file is not valid JSON: ${detail}` }]);
  }
  return parseWeights(raw);
}
