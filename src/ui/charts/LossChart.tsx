import { memo, useMemo, useState } from 'react';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { downsample, extent, smooth, thin } from '../lab/series';
import { CHART_HEIGHT, RUN_SYNC, Y_FROM_ZERO, Y_LOG } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';
import { Plot, type PlotSeries } from './plot/Plot';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

const LEGEND = [
  { label: 'train', color: COLORS.trainRaw },
  { label: 'train (smoothed)', color: COLORS.train },
  { label: 'validation', color: COLORS.val, mark: 'dot' },
] as const;

interface Props {
  metrics: RunMetrics;
  version: number;
  x: XAxisKind;
  /** Shown over the empty chart. */
  empty: string;
}

/** What the loss chart shows, in words. */
function lossSummary(m: RunMetrics, smoothed: readonly number[]): string {
  if (m.length === 0) return 'No training steps yet.';
  const last = m.evals.at(-1);
  return `Training loss over ${m.length} steps: ${num(m.loss.at(-1), 4)} at step ${m.step.at(-1)} (smoothed ${num(smoothed.at(-1), 4)}), lowest ${num(extent(m.loss)?.[0], 4)}.`
    + (last ? ` Validation loss ${num(last.loss, 4)} at step ${last.step}.` : '');
}

/** Training loss (raw and smoothed) and validation loss, on a log scale unless asked otherwise. */
export const LossChart = memo(function LossChart({ metrics: m, version, x, empty }: Props) {
  const [log, setLog] = useState(true);
  const [smoothing, setSmoothing] = useState(0.6);
  const smoothed = useMemo(() => smooth(m.loss, smoothing), [m, version, smoothing]); // m grows in place; version marks each change
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const series = useMemo((): PlotSeries[] => {
    const points = withX(downsample(m.step, { loss: { values: m.loss, reduce: 'mean' }, smoothed: { values: smoothed, reduce: 'last' } }), map);
    const val = withX(thin(m.evals.map((e) => ({ step: e.step, val: e.loss }))), map, true);
    return [
      { id: 'loss', name: 'train', color: COLORS.trainRaw, width: 1, points: points.map((p) => ({ x: p.x, y: p.loss ?? Number.NaN })) },
      { id: 'smoothed', name: 'train (smoothed)', color: COLORS.train, width: 2, points: points.map((p) => ({ x: p.x, y: p.smoothed ?? Number.NaN })) },
      { id: 'val', name: 'validation', color: COLORS.val, width: 2, dots: true, points: val.map((p) => ({ x: p.x, y: p.val })) },
    ];
  }, [m, smoothed, map]);
  const controls = (
    <>
      <label className="inline"><input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> Log scale</label>
      <label className="inline" htmlFor="loss-smoothing">Smoothing</label>
      <input id="loss-smoothing" type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-valuetext={`smoothing ${smoothing.toFixed(2)}`} />
      <output htmlFor="loss-smoothing">{smoothing.toFixed(2)}</output>
    </>
  );
  return (
    <ChartCard id="loss" title="Loss" controls={controls} empty={m.length === 0 ? empty : undefined} summary={lossSummary(m, smoothed)}>
      <ChartLegend items={LEGEND} />
      <Plot series={series} x={x} y={log ? Y_LOG : Y_FROM_ZERO} height={CHART_HEIGHT} sync={RUN_SYNC} />
    </ChartCard>
  );
});
