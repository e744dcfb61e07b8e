import * as tf from '@tensorflow/tfjs';
import { evaluateForecast } from '../eval/forecast';
import type { ForecasterConfig } from '../forecaster/config';
import { forecast } from '../forecaster/forward';
import { createContext } from '../model/context';
import type { ParamLookup } from '../model/layers';
import { windowBatch } from '../../tasks/forecast/batches';
import type { ForecastData, Split } from '../../tasks/forecast/series';

/** Peak bytes of a forecast evaluation two ways, for the README's figure (tf.profile: never call from the trainer). */
export interface EvalMemoryComparison {
  /** The lab's evaluation: inputs uploaded, forecasts read back, errors on the host. */
  hostMetrics: { peakBytes: number; readBackBytes: number };
  /** The usual way: inputs and targets uploaded, the error sums computed on the device. */
  deviceMetrics: { peakBytes: number; readBackBytes: number };
  mse: { host: number; device: number };
}

const CHUNK = 256;

/** Profiles both evaluations of a split with the same weights and chunks. */
export async function compareEvalMemory(p: ParamLookup, cfg: ForecasterConfig, data: ForecastData, split: Split): Promise<EvalMemoryComparison> {
  const base = tf.memory().numBytes;
  let host = { mse: 0 };
  // tf.profile hands back one shared object: read each peak before the next profile.
  const hostPeak = (await tf.profile(async () => {
    host = await evaluateForecast(p, cfg, data, split);
    return [];
  })).peakBytes;
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null });
  const starts = data.windows[split];
  let sq = 0;
  const devicePeak = (await tf.profile(async () => {
    for (let from = 0; from < starts.length; from += CHUNK) {
      const batch = windowBatch(data, starts.subarray(from, from + CHUNK));
      const sums = tf.tidy(() => {
        const x = tf.tensor3d(batch.x, [batch.rows, batch.lookback, batch.nVariates]);
        const y = tf.tensor3d(batch.y, [batch.rows, batch.horizon, batch.nVariates]);
        const err = tf.sub(forecast(ctx, p, cfg, x), y);
        return tf.stack([tf.sum(tf.square(err)), tf.sum(tf.abs(err))]);
      });
      sq += (await sums.data())[0]!;
      sums.dispose();
    }
    return [];
  })).peakBytes;
  const values = starts.length * data.horizon * data.columns.length;
  const chunks = Math.ceil(starts.length / CHUNK);
  return {
    hostMetrics: { peakBytes: hostPeak - base, readBackBytes: 4 * values },
    deviceMetrics: { peakBytes: devicePeak - base, readBackBytes: 8 * chunks },
    mse: { host: host.mse, device: sq / values },
  };
}
