import * as tf from '@tensorflow/tfjs';
import type { ForecasterConfig } from '../forecaster/config';
import { forecast } from '../forecaster/forward';
import { createContext, type ForwardContext } from '../model/context';
import type { ParamLookup } from '../model/layers';
import { windowAt, type ForecastData, type Split } from '../../tasks/forecast/series';

/** One window of a split, the model's forecast for it, and the variate-to-variate attention behind it. */
export interface ForecastInspection {
  split: Split;
  /** Which window of the split (0-based) and how many it has. */
  index: number;
  windows: number;
  /** The row (0-based, header excluded) the targets start at. */
  row: number;
  columns: string[];
  /** Standardised values, [steps][N]: the lookback, the truth after it, and the forecast. */
  history: number[][];
  truth: number[][];
  prediction: number[][];
  /** Per column: the training rows' mean and std, to show values in the CSV's units. */
  mean: number[];
  std: number[];
  /** Per layer: every head's [N][N] attention, rows attending to columns (each row sums to 1). */
  attention: { layer: number; heads: number[][][] }[];
}

const rowsOf = (flat: ArrayLike<number>, steps: number, n: number) => Array.from({ length: steps }, (_, s) => Array.from({ length: n }, (_, j) => flat[s * n + j]!));

/** The forecast for one window and every layer's attention map, in evaluation mode; one read-back. */
export async function inspectForecast(
  p: ParamLookup,
  cfg: ForecasterConfig,
  data: ForecastData,
  split: Split,
  index: number,
  matMul?: ForwardContext['matMul'],
): Promise<ForecastInspection> {
  const windows = data.windows[split].length;
  if (!Number.isInteger(index) || index < 0 || index >= windows) throw new Error(`window ${index} is outside the ${split} split's ${windows} windows`);
  const row = data.windows[split][index]!;
  const n = data.columns.length;
  const { x, y } = windowAt(data, row);
  const sites: number[] = [];
  const packed = tf.tidy(() => {
    const maps: tf.Tensor[] = [];
    const ctx = createContext({
      dropoutRate: 0,
      dropoutSeed: null,
      matMul,
      recordAttention: (site, w) => {
        sites.push(Number(/\.layers\.(\d+)\./.exec(site)?.[1] ?? 0));
        maps.push(w.reshape([-1])); // [1, h, N, N]
      },
    });
    const prediction = forecast(ctx, p, cfg, tf.tensor3d(x, [1, data.lookback, n]));
    return tf.concat([prediction.reshape([-1]), ...maps]);
  });
  const values = (await packed.data()) as Float32Array;
  packed.dispose();
  const H = data.horizon;
  const per = cfg.nHeads * n * n;
  const attention = sites.map((layer, i) => {
    const base = H * n + i * per;
    return { layer, heads: Array.from({ length: cfg.nHeads }, (_, h) => rowsOf(values.subarray(base + h * n * n, base + (h + 1) * n * n), n, n)) };
  });
  return {
    split, index, windows, row, columns: data.columns,
    history: rowsOf(x, data.lookback, n), truth: rowsOf(y, H, n), prediction: rowsOf(values, H, n),
    mean: data.mean, std: data.std, attention,
  };
}
