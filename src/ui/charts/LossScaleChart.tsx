import { memo, useMemo } from 'react';
import { ComposedChart, Line, ResponsiveContainer, Scatter, YAxis } from 'recharts';
import type { RunMetrics } from '../lab/metrics';
import { downsample, thin } from '../lab/series';
import { CHART_HEIGHT, DOMAIN_AUTO, MARGIN, stepAxis, Y_AXIS } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';

const LEGEND = [
  { label: 'loss scale', color: COLORS.scale },
  { label: 'skipped step', color: COLORS.skipped, mark: 'cross' },
] as const;

interface Props {
  metrics: RunMetrics;
  version: number;
  /** Shown over the empty chart. */
  empty: string;
}

/** Index of `step` in the ascending step column (binary search), or -1. */
function indexOf(steps: readonly number[], step: number): number {
  let lo = 0;
  let hi = steps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] === step) return mid;
    if (steps[mid]! < step) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** fp16 dynamic loss scale, with every skipped (overflowed) step marked. */
export const LossScaleChart = memo(function LossScaleChart({ metrics: m, version, empty: waiting }: Props) {
  const scaled = m.hasLossScale;
  const data = useMemo(() => (scaled ? downsample(m.step, { scale: { values: m.lossScale, reduce: 'last' } }) : []), [m, version, scaled]);
  const skipped = useMemo(
    () => thin(m.skipped.map((s) => ({ step: s, skipped: m.lossScale[indexOf(m.step, s)] ?? Number.NaN })).filter((p) => Number.isFinite(p.skipped))),
    [m, version],
  );
  const empty = m.length === 0 ? waiting : !scaled ? 'No loss scaling in this run (fp16 turns it on).' : undefined;
  return (
    <ChartCard id="loss-scale" title={`Loss scale${scaled ? ` · ${m.skipped.length} skipped` : ''}`} empty={empty}>
      <ChartLegend items={LEGEND} />
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <ComposedChart data={data} margin={MARGIN}>
          {stepAxis()}
          <YAxis {...Y_AXIS} scale="log" domain={DOMAIN_AUTO} allowDataOverflow />
          <Line dataKey="scale" name="loss scale" stroke={COLORS.scale} strokeWidth={1.5} dot={false} isAnimationActive={false} type="stepAfter" />
          <Scatter data={skipped} dataKey="skipped" name="skipped step" fill={COLORS.skipped} shape="cross" isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
