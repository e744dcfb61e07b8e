import { memo, useMemo } from 'react';
import { EvalChart } from '../charts/EvalChart';
import { COLORS } from '../charts/palette';
import type { PlotReference } from '../charts/plot/Plot';
import type { XAxisKind } from '../charts/settings';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';

interface Props {
  metrics: RunMetrics;
  version: number;
  x: XAxisKind;
  startStep: number;
  metric: 'mse' | 'mae';
  empty: string;
}

const BASELINES = { mse: ['repeatLastMse', 'linearMse'], mae: ['repeatLastMae', 'linearMae'] } as const;

/**
 * Validation MSE (or MAE) over training, with both baselines as reference lines: repeating the last
 * value, and the per-variate linear model fitted by least squares. Below both, the model earns its keep.
 */
export const ForecastMetricsChart = memo(function ForecastMetricsChart({ metrics: m, version, x, startStep, metric, empty }: Props) {
  const last = useMemo(() => m.evals.filter((e) => e.split === 'val' && e[metric] !== undefined).at(-1), [m, version, metric]);
  const [repeat, linear] = BASELINES[metric].map((k) => last?.[k]);
  const label = metric.toUpperCase();
  const references = useMemo(() => {
    const out: PlotReference[] = [];
    if (linear !== undefined) out.push({ y: linear, color: COLORS.exact, dash: '5 3', label: `linear ${num(linear, 4)}` });
    if (repeat !== undefined) out.push({ y: repeat, color: COLORS.allocated, dash: '2 3', label: `repeat-last ${num(repeat, 4)}` });
    return out;
  }, [linear, repeat]);
  const legend = useMemo(() => [
    { label: `model ${label}`, color: COLORS.val },
    { label: `linear ${num(linear, 4)}`, color: COLORS.exact, mark: 'dashed' as const },
    { label: `repeat-last ${num(repeat, 4)}`, color: COLORS.allocated, mark: 'dashed' as const },
  ], [label, linear, repeat]);
  return (
    <EvalChart id={`forecast-${metric}`} title={`Validation ${label} and baselines`} metric={metric} metrics={m} version={version} x={x} startStep={startStep}
      references={references} legend={legend} empty={empty} />
  );
});
