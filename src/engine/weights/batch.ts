/**
 * The batch JSON (reference README, "Batch JSON"): `{"src": [[int]], "tgtIn": [[int]], "tgtOut": [[int]]}`,
 * checked against a model's architecture, vocabularies and maxLen. Plain data, no TF.js.
 */
import { architecture, type Architecture, type ModelConfig } from '../config';
import { ConfigError, type FieldIssue } from '../validation';
import { PAD, type Batch } from '../../tasks/types';

export type { Batch };

type Field = 'src' | 'tgtIn' | 'tgtOut';

const FIELDS: Record<Architecture, Field[]> = {
  'encoder-decoder': ['src', 'tgtIn', 'tgtOut'],
  'decoder-only': ['tgtIn', 'tgtOut'],
  'encoder-only': ['src', 'tgtOut'],
};

export interface ParseBatchOptions {
  /**
   * What to do with keys the architecture does not use (`src` of a decoder-only batch, `tgtIn` of an
   * encoder-only one, any other key). `ignore` (the default) drops them unchecked, as
   * `torch_reference.py` does; `refuse` rejects them.
   */
  unused?: 'ignore' | 'refuse';
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length > 8 ? `an array of ${v.length} items` : clip(JSON.stringify(v));
  if (v !== null && typeof v === 'object') return 'an object';
  if (typeof v === 'number') return String(v);
  return clip(JSON.stringify(v) ?? String(v));
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);

const showShape = (rows: number[][]) => `[${rows.length}, ${rows[0]?.length ?? 0}]`;

const sameShape = (a: number[][], b: number[][]) => a.length === b.length && (a[0]?.length ?? 0) === (b[0]?.length ?? 0);

/** Checks one field's rows; pushes one issue and returns undefined at its first problem. */
function readField(
  raw: unknown,
  field: Field,
  vocab: { size: number; field: 'srcVocabSize' | 'tgtVocabSize' },
  maxLen: number,
  issues: FieldIssue[],
): number[][] | undefined {
  const path = `batch.${field}`;
  const fail = (where: string, message: string) => {
    issues.push({ path: where, message });
    return undefined;
  };
  if (!Array.isArray(raw)) return fail(path, `must be an array of rows of token ids (got ${show(raw)})`);
  if (raw.length === 0) return fail(path, 'must have at least one row');
  const rows: number[][] = [];
  let width = -1;
  for (let r = 0; r < raw.length; r++) {
    const row: unknown = raw[r];
    const rowPath = `${path}[${r}]`;
    if (!Array.isArray(row)) return fail(rowPath, `must be an array of token ids (got ${show(row)})`);
    if (r === 0) {
      if (row.length === 0) return fail(rowPath, 'must have at least one token');
      if (row.length > maxLen) return fail(rowPath, `has ${row.length} tokens (the batch's padded length), more than the model's maxLen ${maxLen}`);
      width = row.length;
    } else if (row.length !== width) {
      return fail(rowPath, `has ${row.length} tokens but ${path}[0] has ${width}; pad the rows with PAD (0) to one length`);
    }
    const out = new Array<number>(width);
    for (let c = 0; c < width; c++) {
      const tok: unknown = row[c];
      const where = `${rowPath}[${c}]`;
      if (typeof tok !== 'number') return fail(where, `must be an integer token id (got ${show(tok)})`);
      if (!Number.isInteger(tok)) return fail(where, `token ${tok} is not an integer`);
      if (tok < 0) return fail(where, `token ${tok} is negative: token ids start at 0 (PAD)`);
      if (tok >= vocab.size) return fail(where, `token ${tok} is not below the model's ${vocab.field} ${vocab.size}`);
      out[c] = tok;
    }
    rows.push(out);
  }
  return rows;
}

/**
 * Checks a batch against the model: the fields its architecture needs (encoder-decoder: src, tgtIn,
 * tgtOut; decoder-only: tgtIn, tgtOut; encoder-only: src, tgtOut), rectangular rows, the same number
 * of rows everywhere, tgtOut shaped like tgtIn (encoder-only: like src), integer ids inside the right
 * vocabulary, rows no longer than maxLen, and at least one non-PAD target. Also refuses rows that make
 * the reference's attention NaN: a src row of PAD only, a tgtIn row starting with PAD.
 * Returns fresh arrays holding only the fields the architecture uses. Throws `ConfigError`.
 */
export function parseBatch(raw: unknown, config: ModelConfig, opts: ParseBatchOptions = {}): Batch {
  if (!isRecord(raw)) {
    throw new ConfigError([{ path: 'batch', message: `must be an object {src, tgtIn, tgtOut} of token-id rows (got ${Array.isArray(raw) ? 'an array' : show(raw)})` }]);
  }
  const arch = architecture(config);
  const fields = FIELDS[arch];
  const model = `${arch === 'decoder-only' ? 'a' : 'an'} ${arch} model`;
  const issues: FieldIssue[] = [];

  if (opts.unused === 'refuse') {
    for (const key of Object.keys(raw)) {
      if ((fields as string[]).includes(key)) continue;
      const why = key === 'src' || key === 'tgtIn' ? `${model} takes no ${key}` : 'unknown field';
      issues.push({ path: `batch.${key}`, message: `${why}; leave it out` });
    }
  }

  const vocabOf = (field: Field) =>
    field === 'src' ? { size: config.srcVocabSize ?? 0, field: 'srcVocabSize' as const } : { size: config.tgtVocabSize, field: 'tgtVocabSize' as const };
  const read: Partial<Record<Field, number[][]>> = {};
  for (const field of fields) {
    if (raw[field] === undefined) {
      issues.push({ path: `batch.${field}`, message: `is required for ${model}` });
      continue;
    }
    const rows = readField(raw[field], field, vocabOf(field), config.maxLen, issues);
    if (rows) read[field] = rows;
  }

  const { src, tgtIn, tgtOut } = read;
  if (src && tgtIn && src.length !== tgtIn.length) {
    issues.push({ path: 'batch.tgtIn', message: `has ${tgtIn.length} rows but batch.src has ${src.length}` });
  }
  const shapeRef: Field = arch === 'encoder-only' ? 'src' : 'tgtIn';
  const ref = read[shapeRef];
  if (ref && tgtOut && !sameShape(ref, tgtOut)) {
    issues.push({ path: 'batch.tgtOut', message: `shape ${showShape(tgtOut)} does not match batch.${shapeRef}'s ${showShape(ref)}` });
  }
  if (src) {
    const r = src.findIndex((row) => row.every((t) => t === PAD));
    if (r >= 0) issues.push({ path: `batch.src[${r}]`, message: 'holds only PAD (0): a row needs at least one token to attend to' });
  }
  if (tgtIn) {
    const r = tgtIn.findIndex((row) => row[0] === PAD);
    if (r >= 0) issues.push({ path: `batch.tgtIn[${r}][0]`, message: 'is PAD (0): a target row starts with a token (BOS), or its first position has nothing to attend to' });
  }
  if (tgtOut && tgtOut.every((row) => row.every((t) => t === PAD))) {
    issues.push({ path: 'batch.tgtOut', message: 'every target is PAD (0): the loss needs at least one non-PAD target' });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const batch: Batch = { tgtOut: tgtOut! };
  if (src) batch.src = src;
  if (tgtIn) batch.tgtIn = tgtIn;
  return batch;
}

/** Number of rows of a batch. */
export const batchRows = (batch: Batch): number => batch.tgtOut.length;

/**
 * Splits a batch into `k` micro-batches of equal size, contiguous rows in order (gradient
 * accumulation). The rows must divide by `k`.
 */
export function splitBatchRows(batch: Batch, k: number): Batch[] {
  const path = 'train.gradAccumSteps';
  if (!Number.isInteger(k) || k < 1) throw new ConfigError([{ path, message: `must be a positive integer (got ${show(k)})` }]);
  const rows = batchRows(batch);
  if (rows % k !== 0) {
    throw new ConfigError([{ path, message: `${k} does not divide the batch's ${rows} rows into equal micro-batches` }]);
  }
  const size = rows / k;
  const slice = (m: number[][], i: number) => m.slice(i * size, (i + 1) * size);
  return Array.from({ length: k }, (_, i) => {
    const part: Batch = { tgtOut: slice(batch.tgtOut, i) };
    if (batch.src) part.src = slice(batch.src, i);
    if (batch.tgtIn) part.tgtIn = slice(batch.tgtIn, i);
    return part;
  });
}
