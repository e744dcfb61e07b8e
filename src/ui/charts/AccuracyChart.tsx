import { memo, useMemo } from 'react';
import { percent } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { thin } from '../lab/series';
import { CHART_HEIGHT, RUN_SYNC, Y_PERCENT } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';
import { Plot, type PlotSeries } from './plot/Plot';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

const LEGEND = [
  { label: 'exact match', color: COLORS.exact },
  { label: 'token accuracy', color: COLORS.token },
] as const;

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
  const series = useMemo((): PlotSeries[] => {
    const points = withX(thin(m.evals.map((e) => ({ step: e.step, exact: (e.exactMatch ?? Number.NaN) * 100, token: (e.tokenAccuracy ?? Number.NaN) * 100 }))), map, true);
    return [
      { id: 'exact', name: 'exact match', color: COLORS.exact, width: 2, dots: true, unit: '%', points: points.map((p) => ({ x: p.x, y: p.exact })) },
      { id: 'token', name: 'token accuracy', color: COLORS.token, width: 2, dots: true, unit: '%', points: points.map((p) => ({ x: p.x, y: p.token })) },
    ];
  }, [m, version, map]);
  const last = m.evals.at(-1);
  const best = m.evals.reduce((b, e) => Math.max(b, e.exactMatch ?? 0), 0);
  const summary = last
    ? `Held-out exact match ${percent(last.exactMatch)} and token accuracy ${percent(last.tokenAccuracy)} at step ${last.step}; best exact match ${percent(best)} over ${m.evals.length} evaluations.`
    : 'No evaluation yet.';
  return (
    <ChartCard id="accuracy" title="Held-out accuracy (%)" empty={m.evals.length === 0 ? empty : undefined} summary={summary}>
      <ChartLegend items={LEGEND} />
      {/* On the step axis the chart starts where the run (or its resumed part) starts, like the loss. */}
      <Plot series={series} x={x} xFrom={x === 'step' ? startStep : undefined} y={Y_PERCENT} height={CHART_HEIGHT} sync={RUN_SYNC} />
    </ChartCard>
  );
});
