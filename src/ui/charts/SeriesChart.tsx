import { memo, useMemo } from 'react';
import { Line, LineChart, ReferenceLine, ResponsiveContainer, YAxis } from 'recharts';
import { downsample, type Reduce } from '../lab/series';
import { CHART_HEIGHT, DOMAIN_AUTO, DOMAIN_FROM_ZERO, MARGIN, stepAxis, Y_AXIS } from './axes';
import { ChartCard } from './ChartCard';

interface Props {
  id: string;
  title: string;
  name: string;
  steps: readonly number[];
  values: readonly number[];
  reduce: Reduce;
  color: string;
  version: number;
  log?: boolean;
  /** A horizontal reference line (e.g. the clipping threshold). */
  reference?: { y: number; label: string; color: string };
  /** Shown over the empty chart. */
  empty: string;
}

/** One per-step metric over the steps (learning rate, gradient norm, tokens per second). */
export const SeriesChart = memo(function SeriesChart({ id, title, name, steps, values, reduce, color, version, log, reference, empty }: Props) {
  const referenceLabel = useMemo(() => reference && { value: reference.label, position: 'insideTopRight' as const, fontSize: 11, fill: reference.color }, [reference]);
  const data = useMemo(() => downsample(steps, { v: { values, reduce } }), [steps, values, reduce, version]);
  return (
    <ChartCard id={id} title={title} empty={data.length === 0 ? empty : undefined}>
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={data} margin={MARGIN}>
          {stepAxis()}
          <YAxis {...Y_AXIS} scale={log ? 'log' : 'linear'} domain={log ? DOMAIN_AUTO : DOMAIN_FROM_ZERO} allowDataOverflow />
          <Line dataKey="v" name={name} stroke={color} strokeWidth={1.5} dot={false} isAnimationActive={false} />
          <ReferenceLine y={reference?.y ?? 0} stroke={reference?.color} strokeOpacity={reference ? 1 : 0} strokeDasharray="4 3" ifOverflow="extendDomain" label={referenceLabel || undefined} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
