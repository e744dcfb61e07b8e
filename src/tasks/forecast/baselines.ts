import { windowAt, type ForecastData, type Split } from './series';

/*
 * Two forecasts that need no training, on the same windows and the same (standardised) scale as
 * the model: repeating each variate's last input value, and a per-variate linear model
 * ŷ[h] = Σ_l W[h, l]·x[l] + b[h], fitted by least squares on the training windows. A Transformer
 * that does not beat both has not earned its keep.
 */

export interface Errors {
  mse: number;
  mae: number;
}

export interface BaselineErrors {
  repeatLast: Errors;
  linear: Errors;
}

/** Per variate: the coefficients [L + 1, H] (the last row is the bias), float64. */
export type LinearBaseline = Float64Array[];

/**
 * Solves (A + λI)·X = B for a symmetric positive (semi-)definite A [m, m] and B [m, k] by
 * Cholesky, in place of neither. λ = 1e-10 · trace(A)/m only keeps a singular system (e.g. fewer
 * windows than lookback rows) solvable; on real series it moves nothing measurable.
 */
export function solveSymmetric(A: Float64Array, B: Float64Array, m: number, k: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < m; i++) trace += A[i * m + i]!;
  const ridge = (1e-10 * trace) / m || 1e-12;
  const Lc = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * m + j]! + (i === j ? ridge : 0);
      for (let p = 0; p < j; p++) s -= Lc[i * m + p]! * Lc[j * m + p]!;
      Lc[i * m + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / Lc[j * m + j]!;
    }
  }
  const X = new Float64Array(m * k);
  for (let c = 0; c < k; c++) {
    const z = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = B[i * k + c]!;
      for (let p = 0; p < i; p++) s -= Lc[i * m + p]! * z[p]!;
      z[i] = s / Lc[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let p = i + 1; p < m; p++) s -= Lc[p * m + i]! * X[p * k + c]!;
      X[i * k + c] = s / Lc[i * m + i]!;
    }
  }
  return X;
}

/** The per-variate linear model, fitted on every training window by the normal equations. */
export function fitLinearBaseline(data: ForecastData): LinearBaseline {
  const { lookback: L, horizon: H } = data;
  const n = data.columns.length;
  const m = L + 1;
  const out: LinearBaseline = [];
  for (let j = 0; j < n; j++) {
    const A = new Float64Array(m * m);
    const B = new Float64Array(m * H);
    const v = new Float64Array(m);
    for (const t of data.windows.train) {
      const { x, y } = windowAt(data, t);
      for (let l = 0; l < L; l++) v[l] = x[l * n + j]!;
      v[L] = 1;
      for (let a = 0; a < m; a++) {
        const va = v[a]!;
        for (let b = 0; b <= a; b++) A[a * m + b]! += va * v[b]!;
        for (let h = 0; h < H; h++) B[a * H + h]! += va * y[h * n + j]!;
      }
    }
    for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) A[a * m + b] = A[b * m + a]!;
    out.push(solveSymmetric(A, B, m, H));
  }
  return out;
}

/** Squared and absolute errors of `predict` over a split's windows, averaged over every value. */
export function forecastErrors(data: ForecastData, split: Split, predict: (x: Float32Array, j: number, h: number) => number): Errors {
  const n = data.columns.length;
  let sq = 0;
  let abs = 0;
  let count = 0;
  for (const t of data.windows[split]) {
    const { x, y } = windowAt(data, t);
    for (let h = 0; h < data.horizon; h++) {
      for (let j = 0; j < n; j++) {
        const e = predict(x, j, h) - y[h * n + j]!;
        sq += e * e;
        abs += Math.abs(e);
        count++;
      }
    }
  }
  return { mse: sq / count, mae: abs / count };
}

/** Both baselines' errors on a split; `linear` is the training windows' fit (fitted once per series). */
export function baselineErrors(data: ForecastData, split: Split, linear: LinearBaseline): BaselineErrors {
  const n = data.columns.length;
  const L = data.lookback;
  const H = data.horizon;
  return {
    repeatLast: forecastErrors(data, split, (x, j) => x[(L - 1) * n + j]!),
    linear: forecastErrors(data, split, (x, j, h) => {
      const w = linear[j]!;
      let s = w[L * H + h]!;
      for (let l = 0; l < L; l++) s += w[l * H + h]! * x[l * n + j]!;
      return s;
    }),
  };
}
