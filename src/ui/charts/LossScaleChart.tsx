import { memo, useMemo } from 'react';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { downsample, thin } from '../lab/series';
import { CHART_HEIGHT, RUN_SYNC, Y_LOG } from './axes';
import { ChartLegend } from './Legend';
import { ChartCard } from './ChartCard';
import { COLORS } from './palette';
import { Plot, type PlotSeries } from './plot/Plot';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

const LEGEND = [
  { label: 'loss scale', color: COLORS.scale },
  { label: 'skipped step', color: COLORS.skipped, mark: 'cross' },
] as const;

interface Props {
  metrics: RunMetrics;
  version: number;
  x: XAxisKind;
  /** The run scales its loss (precision/policy.ts: on under fp16 unless turned off); undefined before a run. */
  scaling?: boolean;
  /** The run's precision, for the sentence that says why scaling is off. */
  precision?: string;
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

/** fp16 dynamic loss scale, with every skipped (overflowed) step marked; says so when the run does not scale. */
export const LossScaleChart = memo(function LossScaleChart({ metrics: m, version, x, scaling, precision, empty: waiting }: Props) {
  const scaled = m.hasLossScale;
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const series = useMemo((): PlotSeries[] => {
    if (!scaled) return [];
    const scale = withX(downsample(m.step, { scale: { values: m.lossScale, reduce: 'last' } }), map).map((p) => ({ x: p.x, y: p.scale ?? Number.NaN }));
    const skipped = withX(thin(m.skipped.map((s) => ({ step: s, v: m.lossScale[indexOf(m.step, s)] ?? Number.NaN })).filter((p) => Number.isFinite(p.v))), map).map((p) => ({ x: p.x, y: p.v }));
    return [
      { id: 'scale', name: 'loss scale', color: COLORS.scale, step: true, points: scale },
      { id: 'skipped', name: 'skipped step', color: COLORS.skipped, kind: 'scatter', points: skipped },
    ];
  }, [m, version, scaled, map]);
  const off = scaling === false || (m.length > 0 && !scaled);
  const offText = `Loss scaling is off in this run${precision ? ` (${precision})` : ''}: ${precision === 'fp32' ? 'fp32 gradients do not underflow, so nothing needs scaling' : 'it was turned off in the config'}. fp16 turns it on.`;
  const empty = off ? offText : m.length === 0 ? waiting : undefined;
  const summary = off ? offText : scaled ? `Loss scale ${num(m.lossScale.at(-1))} at step ${m.step.at(-1)}; ${m.skipped.length} steps skipped for overflow.` : 'No training steps yet.';
  return (
    <ChartCard id="loss-scale" title={`Loss scale${scaled ? ` · ${m.skipped.length} skipped` : ''}`} empty={empty} summary={summary}>
      <ChartLegend items={LEGEND} />
      <Plot series={series} x={x} y={Y_LOG} height={CHART_HEIGHT} sync={RUN_SYNC} />
    </ChartCard>
  );
});
