import { memo, useMemo } from 'react';
import { EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { thin } from '../lab/series';
import { CHART_HEIGHT, RUN_SYNC, Y_FROM_ZERO } from './axes';
import { ChartCard } from './ChartCard';
import { ChartLegend, type LegendItem } from './Legend';
import { COLORS } from './palette';
import { Plot, type PlotReference, type PlotSeries } from './plot/Plot';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

interface Props {
  id: string;
  title: string;
  metric: EvalMetricKey;
  metrics: RunMetrics;
  version: number;
  x: XAxisKind;
  startStep: number;
  /** Horizontal lines to beat (a forecast's baselines), named in the legend. */
  references?: readonly PlotReference[];
  legend?: readonly LegendItem[];
  /** Shown over the empty chart. */
  empty: string;
}

const NO_REFERENCES: readonly PlotReference[] = [];

/**
 * One task metric of the validation evaluations (tasks/metrics.ts: a text run's bits per
 * character, a forecast's MSE or MAE), one dot per evaluation, on the run's x axis.
 */
export const EvalChart = memo(function EvalChart({ id, title, metric, metrics: m, version, x, startStep, references = NO_REFERENCES, legend, empty }: Props) {
  const spec = EVAL_METRICS[metric];
  const val = useMemo(() => m.evals.filter((e) => e.split === 'val' && e[metric] !== undefined), [m, version, metric]);
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const series = useMemo((): PlotSeries[] => [{
    id: metric, name: `validation ${spec.label}`, color: COLORS.val, width: 2, dots: true,
    points: withX(thin(val.map((e) => ({ step: e.step, v: e[metric]! }))), map, true).map((p) => ({ x: p.x, y: p.v })),
  }], [val, map, metric, spec]);
  const last = val.at(-1);
  const best = val.reduce<number | undefined>((b, e) => {
    const v = e[metric]!;
    return b === undefined || (spec.better === 'lower' ? v < b : v > b) ? v : b;
  }, undefined);
  const summary = last
    ? `Validation ${spec.label} ${num(last[metric], 4)} at step ${last.step}; best ${num(best, 4)} over ${val.length} evaluations.${references.map((r) => (r.label ? ` ${r.label}.` : '')).join('')}`
    : 'No evaluation yet.';
  return (
    <ChartCard id={id} title={title} empty={val.length === 0 ? empty : undefined} summary={summary}>
      {legend && <ChartLegend items={legend} />}
      <Plot series={series} x={x} xFrom={x === 'step' ? startStep : undefined} y={Y_FROM_ZERO} references={references} height={CHART_HEIGHT} sync={RUN_SYNC} />
    </ChartCard>
  );
});
