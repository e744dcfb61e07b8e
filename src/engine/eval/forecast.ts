import * as tf from '@tensorflow/tfjs';
import type { ForecasterConfig } from '../forecaster/config';
import { forecast } from '../forecaster/forward';
import { createContext, type ForwardContext } from '../model/context';
import type { ParamLookup } from '../model/layers';
import type { SeriesBatch } from '../../tasks/forecast/batches';
import { windowAt, type ForecastData, type Split } from '../../tasks/forecast/series';

export interface ForecastEvalResult {
  mse: number;
  mae: number;
  windows: number;
  /** The evaluation's high-water mark of live bytes above what was alive before it (CPU-side count, no device read). */
  peakBytes: number;
  /** Bytes of the split's targets: they stay on the host, never uploaded. */
  hostTargetBytes: number;
}

/** Windows per forward pass. */
const CHUNK = 256;

/** The inputs [rows, L, N] of the windows whose targets start at `starts` (the targets are not copied). */
function inputsOf(data: ForecastData, starts: ArrayLike<number>): Float32Array {
  const size = data.lookback * data.columns.length;
  const x = new Float32Array(starts.length * size);
  for (let r = 0; r < starts.length; r++) x.set(windowAt(data, starts[r]!).x, r * size);
  return x;
}

/**
 * MSE and MAE over a split's windows on the standardised scale, as iTransformer reports them.
 * Only the inputs go to the device; each chunk's forecasts are read back (once per chunk,
 * asynchronously) and compared on the host with targets that never leave it.
 */
export async function evaluateForecast(p: ParamLookup, cfg: ForecasterConfig, data: ForecastData, split: Split, matMul?: ForwardContext['matMul']): Promise<ForecastEvalResult> {
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul });
  const n = data.columns.length;
  const H = data.horizon;
  const starts = data.windows[split];
  const base = tf.memory().numBytes;
  let peak = 0;
  let sq = 0;
  let abs = 0;
  for (let from = 0; from < starts.length; from += CHUNK) {
    const chunk = starts.subarray(from, from + CHUNK);
    const prediction = tf.tidy(() => {
      const y = forecast(ctx, p, cfg, tf.tensor3d(inputsOf(data, chunk), [chunk.length, data.lookback, n]));
      // Everything the forward made is still alive here: the chunk's high-water mark.
      peak = Math.max(peak, tf.memory().numBytes - base);
      return y;
    });
    const values = (await prediction.data()) as Float32Array;
    prediction.dispose();
    for (let r = 0; r < chunk.length; r++) {
      const target = windowAt(data, chunk[r]!).y;
      for (let i = 0; i < H * n; i++) {
        const e = values[r * H * n + i]! - target[i]!;
        sq += e * e;
        abs += Math.abs(e);
      }
    }
  }
  const count = starts.length * H * n;
  return { mse: sq / count, mae: abs / count, windows: starts.length, peakBytes: peak, hostTargetBytes: 4 * count };
}

/** MSE and MAE of the forecasts of one given batch of windows (`train --batch`), dropout off, one read-back. */
export async function evaluateSeriesBatch(p: ParamLookup, cfg: ForecasterConfig, batch: SeriesBatch, matMul?: ForwardContext['matMul']): Promise<{ mse: number; mae: number }> {
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul });
  const sums = tf.tidy(() => {
    const y = forecast(ctx, p, cfg, tf.tensor3d(batch.x, [batch.rows, batch.lookback, batch.nVariates]));
    const error = tf.sub(y, tf.tensor3d(batch.y, [batch.rows, batch.horizon, batch.nVariates]));
    return tf.stack([tf.mean(tf.square(error)), tf.mean(tf.abs(error))]);
  });
  const [mse, mae] = await sums.data();
  sums.dispose();
  return { mse: mse!, mae: mae! };
}
