import { memo, useMemo } from 'react';
import { Line, LineChart, ResponsiveContainer, YAxis } from 'recharts';
import { percent } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { thin } from '../lab/series';
import { CHART_HEIGHT, chartProps, DOT, xAxis, Y_AXIS } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

const LEGEND = [
  { label: 'exact match', color: COLORS.exact },
  { label: 'token accuracy', color: COLORS.token },
] as const;

const PERCENT = [0, 100];
const PERCENT_TICKS = [0, 25, 50, 75, 100];

interface Props {
  metrics: RunMetrics;
  version: number;
  x: XAxisKind;
  startStep: number;
  /** Shown over the empty chart. */
  empty: string;
}

/** Held-out exact match (greedy decoding) and token accuracy (teacher-forced), in percent. */
export const AccuracyChart = memo(function AccuracyChart({ metrics: m, version, x, startStep, empty }: Props) {
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const data = useMemo(() => withX(thin(m.evals.map((e) => ({ step: e.step, exact: e.exactMatch * 100, token: e.tokenAccuracy * 100 }))), map, true), [m, version, map]);
  // On the step axis the chart starts where the run (or its resumed part) starts, like the loss.
  const xDomain = useMemo((): [number, string] | undefined => (x === 'step' ? [startStep, 'dataMax'] : undefined), [x, startStep]);
  const last = m.evals.at(-1);
  const best = m.evals.reduce((b, e) => Math.max(b, e.exactMatch), 0);
  const summary = last
    ? `Held-out exact match ${percent(last.exactMatch)} and token accuracy ${percent(last.tokenAccuracy)} at step ${last.step}; best exact match ${percent(best)} over ${m.evals.length} evaluations.`
    : 'No evaluation yet.';
  return (
    <ChartCard id="accuracy" title="Held-out accuracy (%)" empty={data.length === 0 ? empty : undefined} summary={summary}>
      <ChartLegend items={LEGEND} />
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={data} {...chartProps('run')}>
          {xAxis(x, xDomain)}
          <YAxis {...Y_AXIS} domain={PERCENT} ticks={PERCENT_TICKS} unit="%" />
          <Line dataKey="exact" name="exact match" stroke={COLORS.exact} strokeWidth={2} dot={DOT} isAnimationActive={false} unit="%" />
          <Line dataKey="token" name="token accuracy" stroke={COLORS.token} strokeWidth={2} dot={DOT} isAnimationActive={false} unit="%" />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});
