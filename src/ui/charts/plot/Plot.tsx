import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { num } from '../../lab/format';
import { COLORS } from '../palette';
import type { XAxisKind } from '../settings';
import { setHover, useHover } from './hover';
import { layout, nearest, type Layout, type PlotReference, type PlotSeries, type YOptions } from './scales';

export type { PlotPoint, PlotReference, PlotSeries } from './scales';

interface Props {
  series: readonly PlotSeries[];
  x: XAxisKind;
  /** The x axis from here (a resumed run's first step) to the data's end; both ends from the data by default. */
  xFrom?: number;
  y?: YOptions;
  references?: readonly PlotReference[];
  height: number;
  /** Plots of one group move one hover cursor together. */
  sync: string;
  /** The cursor's words for an x that is not the run's axis (a series' row). */
  xLabel?: (x: number) => string;
  /** Vertical dashed lines at these x (where a forecast begins). */
  xMarks?: readonly number[];
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
const X_LABEL: Record<XAxisKind, (x: number) => string> = {
  step: (x) => `step ${Math.round(x)}`,
  time: (x) => `${num(x, 4)} s of training`,
  tokens: (x) => `${num(x, 4)} tokens seen`,
};

let clipCounter = 0;

/** The element's width, following it as its card resizes. */
function useWidth(): [(el: HTMLDivElement | null) => void, number] {
  const [width, setWidth] = useState(0);
  const observer = useRef<ResizeObserver | null>(null);
  const ref = useCallback((el: HTMLDivElement | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!el) return;
    setWidth(Math.floor(el.getBoundingClientRect().width));
    if (typeof ResizeObserver === 'undefined') return;
    observer.current = new ResizeObserver((entries) => setWidth(Math.floor(entries[0]!.contentRect.width)));
    observer.current.observe(el);
  }, []);
  return [ref, width];
}

/**
 * A plot of lines, stacked areas and markers over a numeric x axis, as plain SVG (d3 scales and
 * path generators): a redraw of a few series of a few hundred points takes a millisecond or two,
 * so a chart never holds the page up. Hovering moves a cursor on every plot of its group.
 */
export const Plot = memo(function Plot({ series, x, xFrom, y = {}, references = [], height, sync, xLabel, xMarks = [] }: Props) {
  const [ref, width] = useWidth();
  const clip = useMemo(() => `plot-clip-${++clipCounter}`, []);
  const geometry = useMemo(
    () => (width > 0 ? layout(series, width, height, y, references, [xFrom, undefined]) : undefined),
    [series, width, height, y, references, xFrom],
  );
  return (
    <div ref={ref} className="plot" style={{ height }}>
      {geometry && (
        <svg className="plot-surface" width={geometry.width} height={geometry.height} viewBox={`0 0 ${geometry.width} ${geometry.height}`} fontFamily={FONT}>
          <defs>
            <clipPath id={clip}>
              <rect x={geometry.inner.left} y={geometry.inner.top - 2} width={geometry.inner.width} height={geometry.inner.height + 4} />
            </clipPath>
          </defs>
          <Axes g={geometry} />
          <g clipPath={`url(#${clip})`}>
            {series.map((s, i) => <Series key={s.id} s={s} d={geometry.paths[i]!.d} g={geometry} />)}
          </g>
          {references.map((r, i) => {
            const yy = geometry.y(r.y);
            if (!Number.isFinite(yy)) return null;
            return (
              <g key={i} className="plot-reference">
                <line x1={geometry.inner.left} x2={geometry.inner.left + geometry.inner.width} y1={yy} y2={yy} stroke={r.color} strokeDasharray={r.dash ?? '6 4'} strokeWidth={1.2} />
                {r.label && <text x={geometry.inner.left + geometry.inner.width - 4} y={yy - 4} textAnchor="end" fontSize={11} fill={r.color}>{r.label}</text>}
              </g>
            );
          })}
          {xMarks.map((m) => (
            <line key={`mark${m}`} className="plot-mark" x1={geometry.x(m)} x2={geometry.x(m)} y1={geometry.inner.top} y2={geometry.inner.top + geometry.inner.height} stroke={COLORS.axis} strokeDasharray="3 3" />
          ))}
          <Cursor g={geometry} series={series} sync={sync} label={xLabel ?? X_LABEL[x]} />
          <rect
            className="plot-hover" x={geometry.inner.left} y={geometry.inner.top} width={geometry.inner.width} height={geometry.inner.height} fill="transparent"
            onPointerMove={(e) => {
              const box = e.currentTarget.getBoundingClientRect();
              setHover(sync, geometry.x.invert(geometry.inner.left + e.clientX - box.left));
            }}
            onPointerLeave={() => setHover(sync, undefined)}
          />
        </svg>
      )}
    </div>
  );
});

function Axes({ g }: { g: Layout }) {
  const bottom = g.inner.top + g.inner.height;
  return (
    <g className="plot-axes" fontSize={11} fill={COLORS.axis}>
      {g.yTicks.map((t) => (
        <g key={`y${t}`}>
          <line x1={g.inner.left} x2={g.inner.left + g.inner.width} y1={g.y(t)} y2={g.y(t)} stroke={COLORS.grid} />
          <text x={g.inner.left - 6} y={g.y(t) + 4} textAnchor="end">{num(t)}</text>
        </g>
      ))}
      <line x1={g.inner.left} x2={g.inner.left} y1={g.inner.top} y2={bottom} stroke={COLORS.axis} />
      <line x1={g.inner.left} x2={g.inner.left + g.inner.width} y1={bottom} y2={bottom} stroke={COLORS.axis} />
      {g.xTicks.map((t) => (
        <g key={`x${t}`}>
          <line x1={g.x(t)} x2={g.x(t)} y1={bottom} y2={bottom + 4} stroke={COLORS.axis} />
          <text x={g.x(t)} y={bottom + 15} textAnchor="middle">{num(t)}</text>
        </g>
      ))}
    </g>
  );
}

function Series({ s, d, g }: { s: PlotSeries; d: string; g: Layout }) {
  const kind = s.kind ?? 'line';
  const onPlot = (p: { x: number; y: number }) => Number.isFinite(p.y) && Number.isFinite(g.y(p.y));
  return (
    <g className={`plot-series${s.className ? ` ${s.className}` : ''}`} data-series={s.id}>
      {kind === 'area' && <path className="plot-area" d={d} fill={s.color} fillOpacity={0.55} stroke={s.color} strokeWidth={1} />}
      {kind === 'line' && <path className="plot-line" d={d} fill="none" stroke={s.color} strokeWidth={s.width ?? 1.5} strokeDasharray={s.dash || undefined} strokeLinejoin="round" />}
      {kind === 'scatter' && (
        <g className="plot-markers" stroke={s.color} strokeWidth={1.5}>
          {s.points.filter(onPlot).map((p, i) => <path key={i} d={`M${g.x(p.x) - 3},${g.y(p.y) - 3}l6,6m0,-6l-6,6`} />)}
        </g>
      )}
      {s.dots && (
        <g className="plot-dots" fill="#fff" stroke={s.color} strokeWidth={1.5}>
          {s.points.filter(onPlot).map((p, i) => <circle key={i} cx={g.x(p.x)} cy={g.y(p.y)} r={2.5} />)}
        </g>
      )}
    </g>
  );
}

/** The group's hover cursor on this plot: a line, the nearest point of each series, and their values. */
function Cursor({ g, series, sync, label }: { g: Layout; series: readonly PlotSeries[]; sync: string; label: (x: number) => string }) {
  const at = useHover(sync);
  useEffect(() => () => setHover(sync, undefined), [sync]);
  if (at === undefined) return null;
  const [lo, hi] = g.x.domain() as [number, number];
  if (at < lo || at > hi) return null;
  const hits = series.map((s) => ({ s, i: nearest(s.points, at) })).filter((h) => h.i >= 0 && Number.isFinite(h.s.points[h.i]!.y));
  if (hits.length === 0) return null;
  const cx = g.x(hits[0]!.s.points[hits[0]!.i]!.x);
  // A stacked area's own value is its height above the one below it.
  const value = (h: (typeof hits)[number]) => h.s.points[h.i]!.y - (h.s.base?.[h.i] ?? 0);
  const lines = [label(hits[0]!.s.points[hits[0]!.i]!.x), ...hits.map((h) => `${h.s.name}: ${num(value(h), 4)}${h.s.unit ?? ''}`)];
  const boxWidth = Math.max(...lines.map((l) => l.length)) * 6.2 + 12;
  const boxX = cx + boxWidth + 12 > g.inner.left + g.inner.width ? cx - boxWidth - 8 : cx + 8;
  return (
    <g className="plot-cursor" pointerEvents="none">
      <line x1={cx} x2={cx} y1={g.inner.top} y2={g.inner.top + g.inner.height} stroke={COLORS.axis} strokeDasharray="3 3" />
      {hits.map((h) => <circle key={h.s.id} cx={g.x(h.s.points[h.i]!.x)} cy={g.y(h.s.points[h.i]!.y)} r={3.5} fill={h.s.color} stroke="#fff" />)}
      <rect x={boxX} y={g.inner.top + 2} width={boxWidth} height={lines.length * 14 + 6} rx={4} fill="#fff" fillOpacity={0.95} stroke={COLORS.grid} />
      {lines.map((l, i) => <text key={i} x={boxX + 6} y={g.inner.top + 16 + i * 14} fontSize={11} fill={i === 0 ? COLORS.axis : '#1f2328'}>{l}</text>)}
    </g>
  );
}
