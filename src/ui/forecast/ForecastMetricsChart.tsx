import { memo, useMemo } from 'react';
import { Line, LineChart, ReferenceLine, ResponsiveContainer, YAxis } from 'recharts';
import type { RunMetrics } from '../lab/metrics';
import { num } from '../lab/format';
import { thin } from '../lab/series';
import { CHART_HEIGHT, DOMAIN_FROM_ZERO, DOT, MARGIN, stepAxis, Y_AXIS } from '../charts/axes';
import { ChartCard } from '../charts/ChartCard';
import { ChartLegend } from '../charts/Legend';
import { COLORS } from '../charts/palette';

interface Props {
  metrics: RunMetrics;
  version: number;
  startStep: number;
  metric: 'mse' | 'mae';
  empty: string;
}

const BASELINES = { mse: ['repeatLastMse', 'linearMse'], mae: ['repeatLastMae', 'linearMae'] } as const;

/**
 * Validation MSE (or MAE) over training, with both baselines as reference lines: repeating the last
 * value, and the per-variate linear model fitted by least squares. Below both, the model earns its keep.
 */
export const ForecastMetricsChart = memo(function ForecastMetricsChart({ metrics: m, version, startStep, metric, empty }: Props) {
  const val = useMemo(() => m.evals.filter((e) => e.split === 'val' && e[metric] !== undefined), [m, version, metric]);
  const data = useMemo(() => thin(val.map((e) => ({ step: e.step, v: e[metric]! }))), [val]);
  const last = val.at(-1);
  const [repeat, linear] = BASELINES[metric].map((k) => last?.[k]);
  const xDomain = useMemo((): [number, string] => [startStep, 'dataMax'], [startStep]);
  const label = metric.toUpperCase();
  const legend = [
    { label: `model ${label}`, color: COLORS.val },
    { label: `linear ${num(linear, 4)}`, color: COLORS.exact, mark: 'dashed' as const },
    { label: `repeat-last ${num(repeat, 4)}`, color: COLORS.allocated, mark: 'dashed' as const },
  ];
  return (
    <ChartCard id={`forecast-${metric}`} title={`Validation ${label} and baselines`} empty={data.length === 0 ? empty : undefined}>
      <ChartLegend items={legend} />
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={data} margin={MARGIN}>
          {stepAxis(xDomain)}
          <YAxis {...Y_AXIS} domain={DOMAIN_FROM_ZERO} />
          {linear !== undefined && <ReferenceLine y={linear} stroke={COLORS.exact} strokeDasharray="5 3" ifOverflow="extendDomain" />}
          {repeat !== undefined && <ReferenceLine y={repeat} stroke={COLORS.allocated} strokeDasharray="2 3" ifOverflow="extendDomain" />}
          <Line dataKey="v" name={`validation ${label}`} stroke={COLORS.val} strokeWidth={2} dot={DOT} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
