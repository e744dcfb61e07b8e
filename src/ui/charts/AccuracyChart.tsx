import { memo, useMemo } from 'react';
import { Line, LineChart, ResponsiveContainer, YAxis } from 'recharts';
import type { RunMetrics } from '../lab/metrics';
import { thin } from '../lab/series';
import { CHART_HEIGHT, DOT, MARGIN, stepAxis, Y_AXIS } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';

const LEGEND = [
  { label: 'exact match', color: COLORS.exact },
  { label: 'token accuracy', color: COLORS.token },
] as const;

const PERCENT = [0, 100];
const PERCENT_TICKS = [0, 25, 50, 75, 100];

interface Props {
  metrics: RunMetrics;
  version: number;
  startStep: number;
  /** Shown over the empty chart. */
  empty: string;
}

/** Held-out exact match (greedy decoding) and token accuracy (teacher-forced), in percent. */
export const AccuracyChart = memo(function AccuracyChart({ metrics: m, version, startStep, empty }: Props) {
  const data = useMemo(
    () => thin(m.evals.map((e) => ({ step: e.step, exact: (e.exactMatch ?? Number.NaN) * 100, token: (e.tokenAccuracy ?? Number.NaN) * 100 }))),
    [m, version],
  );
  const xDomain = useMemo((): [number, string] => [startStep, 'dataMax'], [startStep]);
  return (
    <ChartCard id="accuracy" title="Held-out accuracy" empty={data.length === 0 ? empty : undefined}>
      <ChartLegend items={LEGEND} />
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={data} margin={MARGIN}>
          {stepAxis(xDomain)}
          <YAxis {...Y_AXIS} domain={PERCENT} ticks={PERCENT_TICKS} unit="%" />
          <Line dataKey="exact" name="exact match" stroke={COLORS.exact} strokeWidth={2} dot={DOT} isAnimationActive={false} />
          <Line dataKey="token" name="token accuracy" stroke={COLORS.token} strokeWidth={2} dot={DOT} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
