import { memo, useMemo } from 'react';
import { MEMORY_CATEGORIES, type MemoryPrediction } from '../../worker/protocol';
import { MemoryFigures, memoryFigures } from '../components/MemoryFigures';
import type { RunMetrics } from '../lab/metrics';
import { mib, mibText } from '../lab/format';
import { downsample, type Reduce } from '../lab/series';
import { CHART_HEIGHT, RUN_SYNC, Y_FROM_ZERO } from './axes';
import { ChartLegend, type LegendItem } from './Legend';
import { ChartCard } from './ChartCard';
import { CATEGORY_COLORS, CATEGORY_HELP, CATEGORY_LABELS, COLORS, HOST_HELP } from './palette';
import { Plot, type PlotReference, type PlotSeries } from './plot/Plot';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

const MEMORY_POINTS = 120;

function legendItems(breakdown: boolean, peak: boolean, allocated: boolean, predicted: boolean, host: boolean): LegendItem[] {
  return [
    ...(breakdown ? MEMORY_CATEGORIES.map((c): LegendItem => ({ label: CATEGORY_LABELS[c], color: CATEGORY_COLORS[c], mark: 'area', title: CATEGORY_HELP[c] })) : []),
    ...(peak ? [{ label: 'measured peak', color: COLORS.peak, title: 'The highest the step reached: every live tensor of the engine, counted by TF.js' }] : []),
    { label: 'in use after the step (backend)', color: COLORS.inUse, title: "The backend's own count once the step is over: weights, optimizer state and what it keeps for the next step" },
    ...(allocated ? [{ label: 'allocated (WebGPU pool)', color: COLORS.allocated, mark: 'dashed', title: 'Every buffer the WebGPU pool holds, free or not: a high-water mark that shrinks only when cached memory is released' } as const] : []),
    ...(host ? [{ label: 'host memory (offloaded, not on the device)', color: COLORS.host, mark: 'area', title: HOST_HELP } as const] : []),
    ...(predicted ? [{ label: 'predicted peak', color: COLORS.predicted, mark: 'dashed', title: 'The predictor’s peak for this config, known before training' } as const] : []),
  ];
}

interface Props {
  metrics: RunMetrics;
  version: number;
  x: XAxisKind;
  predicted?: MemoryPrediction | null;
  /** Shown over the empty chart. */
  empty: string;
}

/**
 * Memory of each step in MiB: the engine's breakdown as a stacked area that reaches the
 * measured peak, the backend's own in-use and allocated figures as lines, the predicted peak as
 * a reference line, and (offloaded runs) the boundaries in host memory as a band above the device's
 * peak; beside it the four figures, each labelled (MemoryFigures).
 */
export const MemoryChart = memo(function MemoryChart({ metrics: m, version, x, predicted, empty }: Props) {
  const mem = m.memory;
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const series = useMemo((): PlotSeries[] => {
    const columns: Record<string, { values: readonly number[]; reduce: Reduce }> = {
      inUse: { values: mem.inUse, reduce: 'max' },
      allocated: { values: mem.allocated, reduce: 'max' },
      peak: { values: mem.peak, reduce: 'max' },
      host: { values: mem.host, reduce: 'max' },
    };
    if (mem.hasBreakdown) for (const c of MEMORY_CATEGORIES) columns[c] = { values: mem.categories[c], reduce: 'max' };
    // Nine series: fewer points than the single-line charts keep its draw as short as theirs.
    const points = withX(downsample(mem.step, columns, MEMORY_POINTS), map);
    const at = (key: string) => points.map((p) => ({ x: p.x, y: p[key] === undefined ? Number.NaN : mib(p[key]) }));
    const out: PlotSeries[] = [];
    if (mem.hasBreakdown) {
      let below = points.map(() => 0);
      for (const c of MEMORY_CATEGORIES) {
        const top = points.map((p, i) => below[i]! + mib(p[c] ?? 0));
        out.push({ id: c, name: CATEGORY_LABELS[c], color: CATEGORY_COLORS[c], kind: 'area', step: true, unit: ' MiB', base: below, points: points.map((p, i) => ({ x: p.x, y: top[i]! })) });
        below = top;
      }
    }
    // Host memory is not device memory: a band of its own on top of the device's peak, never inside the stack.
    if (mem.host.some(Number.isFinite)) {
      const base = points.map((p) => mib(p.peak ?? p.inUse ?? 0));
      out.push({ id: 'host', name: 'host memory (offloaded)', color: COLORS.host, kind: 'area', step: true, unit: ' MiB', base, points: points.map((p, i) => ({ x: p.x, y: base[i]! + mib(p.host ?? 0) })) });
    }
    out.push(
      { id: 'peak', name: 'measured peak', color: COLORS.peak, step: true, unit: ' MiB', points: at('peak') },
      { id: 'inUse', name: 'in use after the step', color: COLORS.inUse, unit: ' MiB', points: at('inUse') },
      { id: 'allocated', name: 'allocated (pool)', color: COLORS.allocated, dash: '4 3', unit: ' MiB', points: at('allocated') },
    );
    return out;
  }, [mem, version, map]);
  const peak = predicted?.bytes.peak;
  const references = useMemo((): PlotReference[] => (peak === undefined ? [] : [{ y: mib(peak), color: COLORS.predicted, label: `predicted peak ${mibText(peak)}` }]), [peak]);
  const hasAllocated = mem.allocated.some((v) => !Number.isNaN(v));
  const hasPeak = mem.peak.some((v) => !Number.isNaN(v));
  const hasHost = mem.host.some(Number.isFinite);
  const figures = memoryFigures(m);
  const note = mem.hasBreakdown || mem.step.length === 0 ? undefined : 'The engine reports no per-category breakdown in this build: the lines are the backend’s own figures.';
  const summary = mem.step.length === 0 ? 'No training steps yet.'
    : `Measured peak ${mibText(figures.measured)}; predicted peak ${mibText(peak)}; the backend holds ${mibText(figures.inUse)} in use after the last step${figures.allocated === undefined ? '' : ` and ${mibText(figures.allocated)} allocated`}.${figures.host === undefined ? '' : ` ${mibText(figures.host)} of offloaded boundaries wait in host memory.`}`;
  return (
    <ChartCard id="memory" title="Memory (MiB)" wide empty={mem.step.length === 0 ? empty : undefined} aside={<MemoryFigures figures={figures} predicted={predicted} />} summary={summary}>
      <ChartLegend items={legendItems(mem.hasBreakdown, hasPeak, hasAllocated, peak !== undefined, hasHost)} />
      <Plot series={series} x={x} y={Y_FROM_ZERO} references={references} height={CHART_HEIGHT + 40} sync={RUN_SYNC} />
      {note && <p className="note">{note}</p>}
    </ChartCard>
  );
});
