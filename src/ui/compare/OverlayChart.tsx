import { memo, useMemo } from 'react';
import { CHART_HEIGHT, COMPARE_SYNC, Y_AUTO, Y_LOG, Y_PERCENT } from '../charts/axes';
import { ChartCard } from '../charts/ChartCard';
import { ChartLegend } from '../charts/Legend';
import { Plot, type PlotSeries } from '../charts/plot/Plot';
import type { XAxisKind } from '../charts/settings';
import { num } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import type { Point } from '../lab/series';
import { METRICS, runPoints, type MetricKey } from './series';

export interface OverlayRun {
  id: string;
  label: string;
  color: string;
  /** A stroke pattern ('' for solid): coincident curves stay told apart. */
  dash: string;
  /** The run's place in the comparison (its line's class, for hover highlighting). */
  index: number;
  hidden: boolean;
  metrics: RunMetrics;
}

export interface LegendActions {
  onHover(runId: string | undefined): void;
  onToggle(runId: string, solo: boolean): void;
}

interface Props extends LegendActions {
  metric: MetricKey;
  runs: readonly OverlayRun[];
  /** Changes whenever any run's metrics grow. */
  version: string;
  x: XAxisKind;
}

type Drawn = Omit<OverlayRun, 'metrics'> & { points: (Point & { x: number })[] };

function overlaySummary(metric: MetricKey, lines: readonly Drawn[]): string {
  const spec = METRICS[metric];
  const shown = lines.filter((l) => !l.hidden && l.points.length);
  if (shown.length === 0) return `${spec.title}: no data yet.`;
  const last = shown.map((l) => `${l.label} ${num(l.points.at(-1)!.v, 4)}${spec.unit ?? ''} at step ${l.points.at(-1)!.step}`);
  return `${spec.title}, last values: ${last.join('; ')}.`;
}

/** Why there is nothing to draw: no steps yet, or (the loss scale) no run that scales its loss. */
function emptyText(metric: MetricKey, lines: readonly Drawn[]): string {
  const trained = lines.some((l) => !l.hidden && l.points.length > 0);
  return metric === 'lossScale' && trained ? 'No run here scales its loss (fp16 turns loss scaling on).' : 'No data yet.';
}

/** One metric of every run of a comparison: one colour and one dash pattern per run. */
export const OverlayChart = memo(function OverlayChart({ metric, runs, version, x, onHover, onToggle }: Props) {
  const spec = METRICS[metric];
  const lines = useMemo(() => runs.map(({ metrics, ...r }) => ({ ...r, points: runPoints(metric, metrics, x) })), [metric, runs, version, x]);
  const empty = lines.every((l) => l.hidden || !l.points.some((p) => Number.isFinite(p.v)));
  return (
    <ChartCard id={`compare-${metric}`} title={spec.title} empty={empty ? emptyText(metric, lines) : undefined} summary={overlaySummary(metric, lines)}>
      <ChartLegend items={runs.map((r) => ({ label: r.label, color: r.color, dash: r.dash || '1 0', runId: r.id, hidden: r.hidden }))} onHover={onHover} onToggle={onToggle} />
      <Lines lines={lines} log={spec.log} percent={spec.percent} dots={spec.evals} unit={spec.unit} x={x} />
    </ChartCard>
  );
});

interface DiffProps extends LegendActions {
  metric: MetricKey;
  baseline: string;
  lines: readonly Drawn[];
  x: XAxisKind;
}

/** Each run minus the baseline run, for one metric (zero: no difference). */
export const DifferenceChart = memo(function DifferenceChart({ metric, baseline, lines, x, onHover, onToggle }: DiffProps) {
  const empty = lines.every((l) => l.hidden || l.points.length === 0);
  const spec = METRICS[metric];
  const summary = empty ? 'No steps in common with the baseline yet.'
    : `${spec.title} minus ${baseline}: ${lines.filter((l) => !l.hidden && l.points.length).map((l) => `${l.label} ${num(l.points.at(-1)!.v, 4)}${spec.unit ?? ''} at step ${l.points.at(-1)!.step}`).join('; ')}.`;
  return (
    <ChartCard id="compare-difference" title={`${spec.title}: run − ${baseline}`} empty={empty ? 'No steps in common with the baseline yet.' : undefined} wide summary={summary}>
      <ChartLegend items={lines.map((r) => ({ label: `${r.label} − baseline`, color: r.color, dash: r.dash || '1 0', runId: r.id, hidden: r.hidden }))} onHover={onHover} onToggle={onToggle} />
      <Lines lines={lines} zero unit={spec.unit} x={x} />
    </ChartCard>
  );
});

const ZERO = [{ y: 0, color: '#888888', dash: '4 3' }];

function Lines({ lines, log, percent, zero, dots, unit, x }: { lines: readonly Drawn[]; log?: boolean; percent?: boolean; zero?: boolean; dots?: boolean; unit?: string; x: XAxisKind }) {
  const series = useMemo(
    () => lines.filter((l) => !l.hidden).map((l): PlotSeries => ({
      id: l.id, name: l.label, color: l.color, dash: l.dash, width: 1.75, dots, className: `run-line run-${l.index}`, ...(unit ? { unit } : {}),
      points: l.points.map((p) => ({ x: p.x, y: p.v ?? Number.NaN })),
    })),
    [lines, dots, unit],
  );
  return <Plot series={series} x={x} y={log ? Y_LOG : percent ? Y_PERCENT : Y_AUTO} references={zero ? ZERO : undefined} height={CHART_HEIGHT} sync={COMPARE_SYNC} />;
}
