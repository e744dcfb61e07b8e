import { memo, useMemo } from 'react';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { downsample, extent, type Reduce } from '../lab/series';
import { CHART_HEIGHT, RUN_SYNC, Y_FROM_ZERO, Y_LOG } from './axes';
import { ChartCard } from './ChartCard';
import { Plot, type PlotReference, type PlotSeries } from './plot/Plot';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

interface Props {
  id: string;
  title: string;
  /** The quantity in a sentence ("learning rate"). */
  name: string;
  metrics: RunMetrics;
  values: readonly number[];
  reduce: Reduce;
  color: string;
  version: number;
  x: XAxisKind;
  log?: boolean;
  /** Held until the next step (a schedule). */
  step?: boolean;
  /** A horizontal reference line (e.g. the clipping threshold). */
  reference?: PlotReference;
  /** Shown over the empty chart. */
  empty: string;
}

/** One per-step metric (learning rate, gradient norm, tokens per second). */
export const SeriesChart = memo(function SeriesChart({ id, title, name, metrics: m, values, reduce, color, version, x, log, step, reference, empty }: Props) {
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const series = useMemo((): PlotSeries[] => [
    { id: 'v', name, color, step, points: withX(downsample(m.step, { v: { values, reduce } }), map).map((p) => ({ x: p.x, y: p.v ?? Number.NaN })) },
  ], [m, values, reduce, map, name, color, step]);
  const references = useMemo(() => (reference ? [reference] : []), [reference]);
  const range = extent(values);
  const summary = range
    ? `${name[0]!.toUpperCase()}${name.slice(1)} over ${values.length} steps: ${num(values.at(-1), 4)} at step ${m.step.at(-1)}, from ${num(range[0], 4)} to ${num(range[1], 4)}.${reference?.label ? ` Reference line: ${reference.label}.` : ''}`
    : 'No training steps yet.';
  return (
    <ChartCard id={id} title={title} empty={m.length === 0 ? empty : undefined} summary={summary}>
      <Plot series={series} x={x} y={log ? Y_LOG : Y_FROM_ZERO} references={references} height={CHART_HEIGHT} sync={RUN_SYNC} />
    </ChartCard>
  );
});
