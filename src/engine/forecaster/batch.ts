import { ConfigError } from '../validation';
import type { SeriesBatch } from '../../tasks/forecast/batches';
import type { ForecasterConfig } from './config';

export type { SeriesBatch };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const show = (v: unknown) => {
  if (v === undefined) return 'nothing';
  const s = Array.isArray(v) ? (v.length > 8 ? `an array of ${v.length} items` : JSON.stringify(v)) : JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/** One field, [rows][steps][N] of finite numbers, into `out` row-major; the first problem is thrown. */
function readCube(raw: unknown, field: 'x' | 'y', steps: number, n: number, rows: number | undefined): Float32Array {
  const path = `batch.${field}`;
  const what = field === 'x' ? `lookback ${steps}` : `horizon ${steps}`;
  const fail = (where: string, message: string): never => {
    throw new ConfigError([{ path: where, message }]);
  };
  if (!Array.isArray(raw)) return fail(path, `must be an array of windows [rows][${what}][nVariates ${n}] (got ${show(raw)})`);
  if (raw.length === 0) fail(path, 'must have at least one window');
  if (rows !== undefined && raw.length !== rows) fail(path, `has ${raw.length} windows but batch.x has ${rows}`);
  const out = new Float32Array(raw.length * steps * n);
  raw.forEach((windowRows: unknown, r) => {
    if (!Array.isArray(windowRows) || windowRows.length !== steps) fail(`${path}[${r}]`, `must hold ${steps} rows (the model's ${what}) (got ${show(windowRows)})`);
    (windowRows as unknown[]).forEach((row: unknown, s) => {
      if (!Array.isArray(row) || row.length !== n) fail(`${path}[${r}][${s}]`, `must hold ${n} values (the model's nVariates) (got ${show(row)})`);
      (row as unknown[]).forEach((v: unknown, j) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}[${r}][${s}][${j}]`, `must be a finite number (got ${show(v)})`);
        out[(r * steps + s) * n + j] = v as number;
      });
    });
  });
  return out;
}

/**
 * The forecaster's batch JSON (reference README): `{"x": [B, lookback, nVariates], "y": [B,
 * horizon, nVariates]}` of finite numbers, checked against the model. Throws ConfigError.
 */
export function parseSeriesBatch(raw: unknown, cfg: ForecasterConfig): SeriesBatch {
  if (!isRecord(raw)) throw new ConfigError([{ path: 'batch', message: `must be an object {x, y} of windows (got ${show(raw)})` }]);
  for (const key of ['x', 'y']) if (raw[key] === undefined) throw new ConfigError([{ path: `batch.${key}`, message: 'is required for a forecaster' }]);
  const x = readCube(raw.x, 'x', cfg.lookback, cfg.nVariates, undefined);
  const rows = (raw.x as unknown[]).length;
  const y = readCube(raw.y, 'y', cfg.horizon, cfg.nVariates, rows);
  return { rows, lookback: cfg.lookback, horizon: cfg.horizon, nVariates: cfg.nVariates, x, y };
}
