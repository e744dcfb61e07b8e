import { memo, useMemo, useState } from 'react';
import { Line, LineChart, ResponsiveContainer, YAxis } from 'recharts';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { downsample, smooth, thin } from '../lab/series';
import { CHART_HEIGHT, chartProps, DOMAIN_AUTO, DOMAIN_FROM_ZERO, DOT, xAxis, Y_AXIS } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';
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
export function lossSummary(m: RunMetrics, smoothed: readonly number[]): string {
  if (m.length === 0) return 'No training steps yet.';
  const lowest = m.loss.reduce((a, b) => (Number.isFinite(b) && b < a ? b : a), Infinity);
  const last = m.evals.at(-1);
  return `Training loss over ${m.length} steps: ${num(m.loss.at(-1), 4)} at step ${m.step.at(-1)} (smoothed ${num(smoothed.at(-1), 4)}), lowest ${num(lowest, 4)}.`
    + (last ? ` Validation loss ${num(last.loss, 4)} at step ${last.step}.` : '');
}

/** Training loss (raw and smoothed) and validation loss, on a log scale unless asked otherwise. */
export const LossChart = memo(function LossChart({ metrics: m, version, x, empty }: Props) {
  const [log, setLog] = useState(true);
  const [smoothing, setSmoothing] = useState(0.6);
  const smoothed = useMemo(() => smooth(m.loss, smoothing), [m, version, smoothing]); // m grows in place; version marks each change
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const data = useMemo(() => withX(downsample(m.step, { loss: { values: m.loss, reduce: 'mean' }, smoothed: { values: smoothed, reduce: 'last' } }), map), [m, smoothed, map]);
  const val = useMemo(() => withX(thin(m.evals.map((e) => ({ step: e.step, val: e.loss }))), map, true), [m, version, map]);
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
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={data} {...chartProps('run')}>
          {xAxis(x)}
          <YAxis {...Y_AXIS} scale={log ? 'log' : 'linear'} domain={log ? DOMAIN_AUTO : DOMAIN_FROM_ZERO} allowDataOverflow />
          <Line dataKey="loss" name="train" stroke={COLORS.trainRaw} strokeWidth={1} dot={false} isAnimationActive={false} />
          <Line dataKey="smoothed" name="train (smoothed)" stroke={COLORS.train} strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line data={val} dataKey="val" name="validation" stroke={COLORS.val} strokeWidth={2} dot={DOT} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
