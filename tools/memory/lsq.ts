/*
 * Least squares for the calibration: a few hundred rows, up to ~150 columns of very different
 * scales, and structurally collinear columns (features that are always sums of others).
 */

/** Columns scaled to unit norm. */
function scaledColumns(rows: number[][]): { cols: number[][]; scale: number[] } {
  const n = rows[0]!.length;
  const cols = Array.from({ length: n }, (_, j) => rows.map((r) => r[j]!));
  const scale = cols.map((c) => Math.hypot(...c) || 1);
  return { cols: cols.map((c, j) => c.map((x) => x / scale[j]!)), scale };
}

/**
 * The columns, in the given order, that are not combinations of the ones kept before them
 * (modified Gram–Schmidt, twice, with a relative tolerance): collinear features keep the
 * first one's meaning and the others get coefficient 0.
 */
export function independentColumns(rows: number[][], tol = 1e-6): number[] {
  const { cols } = scaledColumns(rows);
  const q: number[][] = [];
  const kept: number[] = [];
  cols.forEach((col, j) => {
    const v = [...col];
    for (let pass = 0; pass < 2; pass++) {
      for (const qk of q) {
        const dot = qk.reduce((a, x, i) => a + x * v[i]!, 0);
        for (let i = 0; i < v.length; i++) v[i]! -= dot * qk[i]!;
      }
    }
    const norm = Math.hypot(...v);
    if (norm < tol) return;
    q.push(v.map((x) => x / norm));
    kept.push(j);
  });
  return kept;
}

/** Householder QR least squares on the given columns (full column rank); 0 for the others. */
function solveOn(rows: number[][], y: number[], columns: number[]): number[] {
  const { cols, scale } = scaledColumns(rows);
  const m = rows.length;
  const n = columns.length;
  const a = Array.from({ length: m }, (_, i) => columns.map((j) => cols[j]![i]!));
  const b = [...y];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[k]![k]! > 0 ? -norm : norm;
    const v = new Array<number>(m).fill(0);
    for (let i = k; i < m; i++) v[i] = a[i]![k]!;
    v[k]! -= alpha;
    const vv = v.reduce((s, x) => s + x * x, 0);
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i]! * a[i]![j]!;
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) a[i]![j]! -= f * v[i]!;
    }
    let dot = 0;
    for (let i = k; i < m; i++) dot += v[i]! * b[i]!;
    const f = (2 * dot) / vv;
    for (let i = k; i < m; i++) b[i]! -= f * v[i]!;
  }
  const c = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = b[k]!;
    for (let j = k + 1; j < n; j++) s -= a[k]![j]! * c[j]!;
    c[k] = s / a[k]![k]!;
  }
  const out = new Array<number>(rows[0]!.length).fill(0);
  columns.forEach((j, k) => (out[j] = c[k]! / scale[j]!));
  return out;
}

/** Least squares restricted to `columns` (default: the independent ones), refined once. */
export function leastSquares(rows: number[][], y: number[], columns = independentColumns(rows)): number[] {
  const first = solveOn(rows, y, columns);
  const residual = y.map((v, i) => v - rows[i]!.reduce((a, x, j) => a + x * first[j]!, 0));
  const correction = solveOn(rows, residual, columns);
  return first.map((c, j) => c + correction[j]!);
}
