import { memo, useMemo } from 'react';
import { Line, LineChart, ReferenceLine, ResponsiveContainer, YAxis } from 'recharts';
import { CHART_HEIGHT, DOMAIN_AUTO, DOT, MARGIN, stepAxis, Y_AXIS } from '../charts/axes';
import { ChartCard } from '../charts/ChartCard';
import { ChartLegend } from '../charts/Legend';
import type { RunMetrics } from '../lab/metrics';
import type { Point } from '../lab/series';
import { METRICS, runPoints, type MetricKey } from './series';

export interface OverlayRun {
  id: string;
  label: string;
  color: string;
  metrics: RunMetrics;
}

interface Props {
  metric: MetricKey;
  runs: readonly OverlayRun[];
  /** Changes whenever any run's metrics grow. */
  version: string;
}

/** One metric of every run of a comparison, one colour per run. */
export const OverlayChart = memo(function OverlayChart({ metric, runs, version }: Props) {
  const spec = METRICS[metric];
  const lines = useMemo(() => runs.map((r) => ({ ...r, points: runPoints(metric, r.metrics) })), [metric, runs, version]);
  const empty = lines.every((l) => l.points.length === 0);
  return (
    <ChartCard id={`compare-${metric}`} title={spec.title} empty={empty ? 'No data yet.' : undefined}>
      <ChartLegend items={runs.map((r) => ({ label: r.label, color: r.color }))} />
      <Lines lines={lines} log={spec.log} dots={spec.dots} />
    </ChartCard>
  );
});

interface DiffProps {
  metric: MetricKey;
  baseline: string;
  lines: readonly (Omit<OverlayRun, 'metrics'> & { points: Point[] })[];
}

/** Each run minus the baseline run, for one metric (zero: no difference). */
export const DifferenceChart = memo(function DifferenceChart({ metric, baseline, lines }: DiffProps) {
  const empty = lines.every((l) => l.points.length === 0);
  return (
    <ChartCard id="compare-difference" title={`${METRICS[metric].title}: run − ${baseline}`} empty={empty ? 'No steps in common with the baseline yet.' : undefined} wide>
      <ChartLegend items={lines.map((r) => ({ label: `${r.label} − baseline`, color: r.color }))} />
      <Lines lines={lines} zero />
    </ChartCard>
  );
});

function Lines({ lines, log, zero, dots }: { lines: readonly { id: string; label: string; color: string; points: Point[] }[]; log?: boolean; zero?: boolean; dots?: boolean }) {
  return (
    <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
      <LineChart margin={MARGIN}>
        {stepAxis()}
        <YAxis {...Y_AXIS} scale={log ? 'log' : 'linear'} domain={DOMAIN_AUTO} allowDataOverflow />
        {lines.map((l) => (
          <Line key={l.id} data={l.points} dataKey="v" name={l.label} stroke={l.color} strokeWidth={1.5} dot={dots ? DOT : false} isAnimationActive={false} />
        ))}
        {zero && <ReferenceLine y={0} stroke="#888" strokeDasharray="4 3" />}
      </LineChart>
    </ResponsiveContainer>
  );
}
