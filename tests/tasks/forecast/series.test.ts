import { describe, expect, it } from 'vitest';
import { baselineErrors, fitLinearBaseline } from '../../../src/tasks/forecast/baselines';
import { trainingOrder, windowBatch } from '../../../src/tasks/forecast/batches';
import { prepareForecastData, type Split } from '../../../src/tasks/forecast/series';
import { parseForecastTaskConfig } from '../../../src/tasks/forecast/task';

/** A CSV of n rows: a date column, three measured columns on different scales, and a label. */
function makeCsv(n: number): { text: string; values: number[][] } {
  const values: number[][] = [];
  const lines = ['date,temp,"wind, m/s",pressure,label'];
  for (let i = 0; i < n; i++) {
    const row = [
      Math.round(100 * (10 + 5 * Math.sin(i / 3) + ((i * 37) % 11) / 7)) / 100,
      Math.round(100 * (3 + Math.cos(i / 5) + ((i * 13) % 7) / 3)) / 100,
      Math.round(10 * (1000 + 8 * Math.sin(i / 11) + ((i * 7) % 5))) / 10,
    ];
    values.push(row);
    lines.push(`2020-01-${String(i + 1).padStart(3, '0')},${row[0]},${row[1]},${row[2]},${i % 2 ? 'a' : 'b'}`);
  }
  return { text: lines.join('\n') + '\n', values };
}

const task = (extra: Record<string, unknown> = {}) => parseForecastTaskConfig({ name: 'forecast', csv: 'm.csv', lookback: 5, horizon: 3, ...extra });

describe('the forecast task recomputed from a CSV', () => {
  const n = 63;
  const { text, values } = makeCsv(n);
  const data = prepareForecastData(task(), text);

  it('takes every numeric column, in file order', () => {
    expect(data.columns).toEqual(['temp', 'wind, m/s', 'pressure']);
    expect(data.rows).toBe(n);
  });

  it('splits 70/10/20 by floor(0.7·n) and floor(0.8·n)', () => {
    const a = Math.floor(0.7 * n); // 44
    const b = Math.floor(0.8 * n); // 50
    expect(data.bounds).toEqual({ train: [0, a], val: [a, b], test: [b, n] });
  });

  it('standardises with the mean and population std of the training rows', () => {
    const a = Math.floor(0.7 * n);
    for (let j = 0; j < 3; j++) {
      const train = values.slice(0, a).map((r) => r[j]!);
      const mean = train.reduce((s, v) => s + v, 0) / a;
      const std = Math.sqrt(train.reduce((s, v) => s + (v - mean) ** 2, 0) / a);
      expect(data.mean[j]).toBeCloseTo(mean, 10);
      expect(data.std[j]).toBeCloseTo(std, 10);
      for (let i = 0; i < n; i++) expect(data.values[i * 3 + j]).toBeCloseTo(Math.fround((values[i]![j]! - mean) / std), 6);
    }
  });

  it('makes a window at every offset whose targets lie inside one split, inputs reaching back', () => {
    const L = 5;
    const H = 3;
    const splitOf = (row: number): Split => (row < Math.floor(0.7 * n) ? 'train' : row < Math.floor(0.8 * n) ? 'val' : 'test');
    const expected: Record<Split, number[]> = { train: [], val: [], test: [] };
    for (let t = L; t + H <= n; t++) {
      const splits = new Set(Array.from({ length: H }, (_, h) => splitOf(t + h)));
      if (splits.size === 1) expected[[...splits][0]!].push(t);
    }
    for (const s of ['train', 'val', 'test'] as const) expect(Array.from(data.windows[s])).toEqual(expected[s]);
    // The first validation window's inputs are the last training rows.
    const t = expected.val[0]!;
    const batch = windowBatch(data, [t]);
    for (let l = 0; l < L; l++) for (let j = 0; j < 3; j++) expect(batch.x[l * 3 + j]).toBe(data.values[(t - L + l) * 3 + j]);
    for (let h = 0; h < H; h++) for (let j = 0; j < 3; j++) expect(batch.y[h * 3 + j]).toBe(data.values[(t + h) * 3 + j]);
  });

  it('chooses columns by name, in the order given', () => {
    const d = prepareForecastData(task({ columns: ['pressure', 'temp'] }), text);
    expect(d.columns).toEqual(['pressure', 'temp']);
    expect(d.values[0]).toBe(data.values[2]);
    expect(d.values[1]).toBe(data.values[0]);
  });

  it('draws training windows epoch by epoch, each a permutation of all of them, the same for the same seed', () => {
    const order = trainingOrder(data, 7);
    const windows = data.windows.train.length;
    const epoch = order.next(windows);
    expect([...epoch].sort((x, y) => x - y)).toEqual(Array.from(data.windows.train));
    expect(trainingOrder(data, 7).next(windows + 5)).toEqual([...epoch, ...trainingOrder(data, 7).next(2 * windows).slice(windows, windows + 5)]);
    expect(trainingOrder(data, 8).next(windows)).not.toEqual(epoch);
  });
});

/** Least squares by Householder QR (not the normal equations): min ‖Xβ − y‖ for each column of Y. */
function lstsqQR(X: number[][], Y: number[][]): number[][] {
  const m = X.length;
  const k = X[0]!.length;
  const A = X.map((r) => [...r]);
  const B = Y.map((r) => [...r]);
  for (let c = 0; c < k; c++) {
    let norm = 0;
    for (let i = c; i < m; i++) norm += A[i]![c]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = A[c]![c]! > 0 ? -norm : norm;
    const v = A.map((r, i) => (i < c ? 0 : r[c]!));
    v[c] = v[c]! - alpha;
    const vv = v.reduce((s, x) => s + x * x, 0);
    if (vv === 0) continue;
    const reflect = (M: number[][]) => {
      for (let j = 0; j < M[0]!.length; j++) {
        let dot = 0;
        for (let i = c; i < m; i++) dot += v[i]! * M[i]![j]!;
        const f = (2 * dot) / vv;
        for (let i = c; i < m; i++) M[i]![j] = M[i]![j]! - f * v[i]!;
      }
    };
    reflect(A);
    reflect(B);
  }
  const beta = Array.from({ length: k }, () => new Array<number>(Y[0]!.length).fill(0));
  for (let j = 0; j < Y[0]!.length; j++) {
    for (let i = k - 1; i >= 0; i--) {
      let s = B[i]![j]!;
      for (let p = i + 1; p < k; p++) s -= A[i]![p]! * beta[p]![j]!;
      beta[i]![j] = s / A[i]![i]!;
    }
  }
  return beta;
}

describe('the baselines against a direct computation', () => {
  const { text } = makeCsv(120);
  const data = prepareForecastData(task({ lookback: 6, horizon: 2 }), text);
  const L = 6;
  const H = 2;
  const n = 3;
  const windowsOf = (split: Split) => Array.from(data.windows[split]).map((t) => windowBatch(data, [t]));

  it('repeat-last: every target is the window’s last input value', () => {
    let sq = 0;
    let abs = 0;
    let count = 0;
    for (const w of windowsOf('val')) {
      for (let h = 0; h < H; h++) for (let j = 0; j < n; j++) {
        const e = w.x[(L - 1) * n + j]! - w.y[h * n + j]!;
        sq += e * e;
        abs += Math.abs(e);
        count++;
      }
    }
    const errors = baselineErrors(data, 'val', fitLinearBaseline(data));
    expect(errors.repeatLast.mse).toBeCloseTo(sq / count, 12);
    expect(errors.repeatLast.mae).toBeCloseTo(abs / count, 12);
  });

  it('linear: per variate, least squares on the training windows (QR), evaluated on validation and test', () => {
    const linear = fitLinearBaseline(data);
    for (const split of ['val', 'test'] as const) {
      let sq = 0;
      let count = 0;
      for (let j = 0; j < n; j++) {
        const rows = windowsOf('train');
        const X = rows.map((w) => [...Array.from({ length: L }, (_, l) => w.x[l * n + j]!), 1]);
        const Y = rows.map((w) => Array.from({ length: H }, (_, h) => w.y[h * n + j]!));
        const beta = lstsqQR(X, Y);
        for (const w of windowsOf(split)) {
          for (let h = 0; h < H; h++) {
            let p = beta[L]![h]!;
            for (let l = 0; l < L; l++) p += beta[l]![h]! * w.x[l * n + j]!;
            sq += (p - w.y[h * n + j]!) ** 2;
            count++;
          }
        }
      }
      const got = baselineErrors(data, split, linear).linear.mse;
      expect(Math.abs(got - sq / count) / (sq / count)).toBeLessThan(1e-8);
    }
  });
});
