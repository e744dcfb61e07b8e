/**
 * A plot's geometry from its data: the x and y scales (d3-scale), their ticks, and each series'
 * path (d3-shape). Pure: the same data and width give the same strings, and a few hundred points
 * take well under a millisecond.
 */
import { scaleLinear, scaleLog, type ScaleContinuousNumeric } from 'd3-scale';
import { area, curveLinear, curveStepAfter, line } from 'd3-shape';

export interface PlotPoint {
  x: number;
  y: number;
}

export interface PlotSeries {
  id: string;
  name: string;
  color: string;
  /** Ascending in x; points whose y is not finite leave a gap. */
  points: readonly PlotPoint[];
  /** `area`: filled down to `base` (a stacked area's lower edge, one value per point; 0 without). */
  kind?: 'line' | 'area' | 'scatter';
  base?: readonly number[];
  width?: number;
  dash?: string;
  /** A dot at every point (sparse series: evaluations). */
  dots?: boolean;
  /** Held until the next point (a schedule, a loss scale, memory per step). */
  step?: boolean;
  /** Extra classes on the series' group (hover highlighting picks runs out by class). */
  className?: string;
  /** After the value in the tooltip. */
  unit?: string;
}

export interface PlotReference {
  y: number;
  color: string;
  label?: string;
  dash?: string;
}

export interface YOptions {
  log?: boolean;
  /** The axis starts at zero (linear only). */
  fromZero?: boolean;
  /** A fixed domain (percent: 0–100) and its ticks. */
  domain?: [number, number];
  ticks?: readonly number[];
}

export const PAD = { top: 10, right: 14, bottom: 22, left: 54 };

export interface Layout {
  width: number;
  height: number;
  inner: { left: number; top: number; width: number; height: number };
  x: ScaleContinuousNumeric<number, number>;
  y: ScaleContinuousNumeric<number, number>;
  xTicks: number[];
  yTicks: number[];
  paths: { id: string; d: string; kind: 'line' | 'area' | 'scatter' }[];
}

function extentOf(series: readonly PlotSeries[], pick: (p: PlotPoint, s: PlotSeries, i: number) => number[], keep: (v: number) => boolean): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    s.points.forEach((p, i) => {
      for (const v of pick(p, s, i)) {
        if (!Number.isFinite(v) || !keep(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    });
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** The leading digit of a tick (1 for 0.1, 2 for 20). */
const mantissa = (t: number) => Math.round(t / 10 ** Math.floor(Math.log10(t) + 1e-9));

/**
 * At most `count` of a log scale's ticks: powers of ten when there are enough, else the 1-2-5
 * ticks, else an even spread; plain ticks when the range is within one step of 1-2-…-9.
 */
function logTicks(scale: ScaleContinuousNumeric<number, number>, count: number): number[] {
  const all = scale.ticks(count);
  if (all.length < 2) return scaleLinear().domain(scale.domain()).ticks(4).filter((t) => t > 0);
  const thin = (ticks: number[]) => (ticks.length <= count ? ticks : ticks.filter((_, i) => i % Math.ceil(ticks.length / count) === 0));
  const decades = all.filter((t) => mantissa(t) === 1);
  if (decades.length >= 3) return thin(decades);
  const round = all.filter((t) => [1, 2, 5].includes(mantissa(t)));
  return thin(round.length >= 2 ? round : all);
}

export function layout(series: readonly PlotSeries[], width: number, height: number, y: YOptions, references: readonly PlotReference[], xDomain?: [number | undefined, number | undefined]): Layout {
  const inner = { left: PAD.left, top: PAD.top, width: Math.max(10, width - PAD.left - PAD.right), height: Math.max(10, height - PAD.top - PAD.bottom) };
  const dataX = extentOf(series, (p) => [p.x], () => true) ?? [0, 1];
  const x0 = xDomain?.[0] ?? dataX[0];
  const x1 = Math.max(xDomain?.[1] ?? dataX[1], x0 + 1e-9);
  const x = scaleLinear().domain([x0, x1 === x0 ? x0 + 1 : x1]).range([inner.left, inner.left + inner.width]);

  let yScale: ScaleContinuousNumeric<number, number>;
  if (y.log) {
    const e = extentOf(series, (p) => [p.y], (v) => v > 0) ?? [0.1, 1];
    // The data's own range (a little margin), not rounded out to whole decades: a loss that
    // falls from 2.3 to 0.9 fills the plot rather than a tenth of it.
    const [lo, hi] = e[0] === e[1] ? [e[0] / 2, e[1] * 2] : [e[0] / (e[1] / e[0]) ** 0.04, e[1] * (e[1] / e[0]) ** 0.04];
    yScale = scaleLog().domain([lo, hi]).range([inner.top + inner.height, inner.top]);
  } else {
    const refs = references.map((r) => r.y);
    const e = y.domain ?? extentOf(series, (p, s, i) => [p.y, s.base?.[i] ?? (s.kind === 'area' ? 0 : p.y)], () => true);
    let [lo, hi] = e ?? [0, 1];
    for (const r of refs) {
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
    }
    if (y.fromZero) lo = Math.min(0, lo);
    if (lo === hi) [lo, hi] = lo === 0 ? [0, 1] : [lo - Math.abs(lo) * 0.1, hi + Math.abs(hi) * 0.1];
    yScale = scaleLinear().domain([lo, hi]).range([inner.top + inner.height, inner.top]);
    if (!y.domain) yScale.nice(5);
  }
  const xTicks = x.ticks(Math.max(2, Math.floor(inner.width / 80)));
  const yTicks = y.ticks ? [...y.ticks] : y.log ? logTicks(yScale, 5) : yScale.ticks(5);
  const [yLo, yHi] = yScale.domain() as [number, number];
  const clampY = (v: number) => yScale(Math.min(Math.max(v, Math.min(yLo, yHi)), Math.max(yLo, yHi)));

  const paths = series.map((s) => {
    const kind = s.kind ?? 'line';
    const defined = (p: PlotPoint) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!y.log || p.y > 0);
    const curve = s.step ? curveStepAfter : curveLinear;
    if (kind === 'area') {
      const base = s.base;
      const gen = area<[PlotPoint, number]>()
        .defined(([p]) => defined(p))
        .x(([p]) => x(p.x))
        .y0(([, i]) => clampY(base?.[i] ?? 0))
        .y1(([p]) => clampY(p.y))
        .curve(curve);
      return { id: s.id, kind, d: gen(s.points.map((p, i) => [p, i])) ?? '' };
    }
    if (kind === 'scatter') return { id: s.id, kind, d: '' };
    const gen = line<PlotPoint>().defined(defined).x((p) => x(p.x)).y((p) => clampY(p.y)).curve(curve);
    return { id: s.id, kind, d: gen(s.points as PlotPoint[]) ?? '' };
  });
  return { width, height, inner, x, y: yScale, xTicks, yTicks, paths };
}

/** The index of the point nearest `x` in an ascending series, or -1 when it has none. */
export function nearest(points: readonly PlotPoint[], x: number): number {
  if (points.length === 0) return -1;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.x <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo]!.x - x) <= Math.abs(points[hi]!.x - x) ? lo : hi;
}
