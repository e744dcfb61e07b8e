import { memo, useMemo } from 'react';
import { Line, LineChart, ReferenceLine, ResponsiveContainer, YAxis } from 'recharts';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { downsample, extent, type Reduce } from '../lab/series';
import { CHART_HEIGHT, chartProps, DOMAIN_AUTO, DOMAIN_FROM_ZERO, xAxis, Y_AXIS } from './axes';
import { ChartCard } from './ChartCard';
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
  /** A horizontal reference line (e.g. the clipping threshold). */
  reference?: { y: number; label: string; color: string };
  /** Shown over the empty chart. */
  empty: string;
}

/** One per-step metric (learning rate, gradient norm, tokens per second). */
export const SeriesChart = memo(function SeriesChart({ id, title, name, metrics: m, values, reduce, color, version, x, log, reference, empty }: Props) {
  const referenceLabel = useMemo(() => reference && { value: reference.label, position: 'insideTopRight' as const, fontSize: 11, fill: reference.color }, [reference]);
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const data = useMemo(() => withX(downsample(m.step, { v: { values, reduce } }), map), [m, values, reduce, map]);
  const range = extent(values);
  const summary = range
    ? `${name[0]!.toUpperCase()}${name.slice(1)} over ${values.length} steps: ${num(values.at(-1), 4)} at step ${m.step.at(-1)}, from ${num(range[0], 4)} to ${num(range[1], 4)}.${reference ? ` Reference line: ${reference.label}.` : ''}`
    : 'No training steps yet.';
  return (
    <ChartCard id={id} title={title} empty={data.length === 0 ? empty : undefined} summary={summary}>
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={data} {...chartProps('run')}>
          {xAxis(x)}
          <YAxis {...Y_AXIS} scale={log ? 'log' : 'linear'} domain={log ? DOMAIN_AUTO : DOMAIN_FROM_ZERO} allowDataOverflow />
          <Line dataKey="v" name={name} stroke={color} strokeWidth={1.5} dot={false} isAnimationActive={false} />
          <ReferenceLine y={reference?.y ?? 0} stroke={reference?.color} strokeOpacity={reference ? 1 : 0} strokeDasharray="4 3" ifOverflow="extendDomain" label={referenceLabel || undefined} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
