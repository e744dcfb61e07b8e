import { createRng } from '../rng';
import { windowAt, type ForecastData } from './series';

/** Windows as the model reads them: x [rows, L, N] and y [rows, H, N], row-major float32. */
export interface SeriesBatch {
  rows: number;
  lookback: number;
  horizon: number;
  nVariates: number;
  x: Float32Array;
  y: Float32Array;
}

/** The windows whose targets start at `starts`, stacked into one batch. */
export function windowBatch(data: ForecastData, starts: ArrayLike<number>): SeriesBatch {
  const n = data.columns.length;
  const L = data.lookback;
  const H = data.horizon;
  const rows = starts.length;
  const x = new Float32Array(rows * L * n);
  const y = new Float32Array(rows * H * n);
  for (let r = 0; r < rows; r++) {
    const w = windowAt(data, starts[r]!);
    x.set(w.x, r * L * n);
    y.set(w.y, r * H * n);
  }
  return { rows, lookback: L, horizon: H, nVariates: n, x, y };
}

/** Rows [from, from + count) of a batch (gradient accumulation's micro-batches). */
export function batchRows(b: SeriesBatch, from: number, count: number): SeriesBatch {
  const xs = b.lookback * b.nVariates;
  const ys = b.horizon * b.nVariates;
  return { ...b, rows: count, x: b.x.slice(from * xs, (from + count) * xs), y: b.y.slice(from * ys, (from + count) * ys) };
}

/**
 * The training windows in epochs: each epoch is a permutation of every training window
 * (Fisher–Yates on the run seed's `forecast-epoch-e` stream); a batch takes the next rows of it,
 * running into the next epoch when one ends. `next(rows)` gives the targets' start rows.
 */
export function trainingOrder(data: ForecastData, seed: number): { next(rows: number): number[] } {
  const windows = data.windows.train;
  const root = createRng(seed);
  let epoch = -1;
  let order: number[] = [];
  let at = 0;
  const shuffle = () => {
    epoch++;
    const rng = root.fork(`forecast-epoch-${epoch}`);
    order = Array.from(windows);
    for (let i = order.length - 1; i > 0; i--) {
      const k = rng.int(0, i);
      [order[i], order[k]] = [order[k]!, order[i]!];
    }
    at = 0;
  };
  return {
    next(rows) {
      const out: number[] = [];
      while (out.length < rows) {
        if (at >= order.length) shuffle();
        out.push(order[at++]!);
      }
      return out;
    },
  };
}
