import { memo, useMemo, useState } from 'react';
import { Line, LineChart, ResponsiveContainer, YAxis } from 'recharts';
import type { RunMetrics } from '../lab/metrics';
import { downsample, smooth, thin } from '../lab/series';
import { CHART_HEIGHT, DOMAIN_AUTO, DOMAIN_FROM_ZERO, DOT, MARGIN, stepAxis, Y_AXIS } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';

const LEGEND = [
  { label: 'train', color: COLORS.trainRaw },
  { label: 'train (smoothed)', color: COLORS.train },
  { label: 'validation', color: COLORS.val, mark: 'dot' },
] as const;

interface Props {
  metrics: RunMetrics;
  version: number;
  /** Shown over the empty chart. */
  empty: string;
}

/** Training loss (raw and smoothed) and validation loss, with a log-scale toggle. */
export const LossChart = memo(function LossChart({ metrics: m, version, empty }: Props) {
  const [log, setLog] = useState(false);
  const [smoothing, setSmoothing] = useState(0.6);
  const data = useMemo(
    () => downsample(m.step, { loss: { values: m.loss, reduce: 'mean' }, smoothed: { values: smooth(m.loss, smoothing), reduce: 'last' } }),
    [m, version, smoothing], // m grows in place; version marks each change
  );
  const val = useMemo(() => thin(m.evals.map((e) => ({ step: e.step, val: e.loss }))), [m, version]);
  const controls = (
    <>
      <label className="inline"><input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> Log scale</label>
      <label className="inline">
        Smoothing
        <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-valuetext={smoothing.toFixed(2)} />
        <output>{smoothing.toFixed(2)}</output>
      </label>
    </>
  );
  return (
    <ChartCard id="loss" title="Loss" controls={controls} empty={m.length === 0 ? empty : undefined}>
      <ChartLegend items={LEGEND} />
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={data} margin={MARGIN}>
          {stepAxis()}
          <YAxis {...Y_AXIS} scale={log ? 'log' : 'linear'} domain={log ? DOMAIN_AUTO : DOMAIN_FROM_ZERO} allowDataOverflow />
          <Line dataKey="loss" name="train" stroke={COLORS.trainRaw} strokeWidth={1} dot={false} isAnimationActive={false} />
          <Line dataKey="smoothed" name="train (smoothed)" stroke={COLORS.train} strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line data={val} dataKey="val" name="validation" stroke={COLORS.val} strokeWidth={2} dot={DOT} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
