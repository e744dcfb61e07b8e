import { memo, useMemo } from 'react';
import { Area, ComposedChart, Line, ReferenceLine, ResponsiveContainer, YAxis } from 'recharts';
import { MEMORY_CATEGORIES, type MemoryPrediction } from '../../worker/protocol';
import { MemoryFigures, memoryFigures } from '../components/MemoryFigures';
import type { RunMetrics } from '../lab/metrics';
import { mib, mibText } from '../lab/format';
import { downsample, type Reduce } from '../lab/series';
import { CHART_HEIGHT, chartProps, DOMAIN_FROM_ZERO, xAxis, Y_AXIS } from './axes';
import { ChartLegend, type LegendItem } from './Legend';
import { ChartCard } from './ChartCard';
import { CATEGORY_COLORS, CATEGORY_HELP, CATEGORY_LABELS, COLORS } from './palette';
import type { XAxisKind } from './settings';
import { withX, xMap } from './xaxis';

function legendItems(breakdown: boolean, peak: boolean, allocated: boolean, predicted: boolean): LegendItem[] {
  return [
    ...(breakdown ? MEMORY_CATEGORIES.map((c): LegendItem => ({ label: CATEGORY_LABELS[c], color: CATEGORY_COLORS[c], mark: 'area', title: CATEGORY_HELP[c] })) : []),
    ...(peak ? [{ label: 'measured peak', color: COLORS.peak, title: 'The highest the step reached: every live tensor of the engine, counted by TF.js' }] : []),
    { label: 'in use after the step (backend)', color: COLORS.inUse, title: "The backend's own count once the step is over: weights, optimizer state and what it keeps for the next step" },
    ...(allocated ? [{ label: 'allocated (WebGPU pool)', color: COLORS.allocated, mark: 'dashed', title: 'Every buffer the WebGPU pool holds, free or not: a high-water mark that never shrinks' } as const] : []),
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
 * a reference line; beside it the four figures, each labelled (MemoryFigures).
 */
export const MemoryChart = memo(function MemoryChart({ metrics: m, version, x, predicted, empty }: Props) {
  const mem = m.memory;
  const map = useMemo(() => xMap(m, x), [m, version, x]);
  const data = useMemo(() => {
    const columns: Record<string, { values: readonly number[]; reduce: Reduce }> = {
      inUse: { values: mem.inUse, reduce: 'max' },
      allocated: { values: mem.allocated, reduce: 'max' },
      peak: { values: mem.peak, reduce: 'max' },
    };
    if (mem.hasBreakdown) for (const c of MEMORY_CATEGORIES) columns[c] = { values: mem.categories[c], reduce: 'max' };
    return withX(downsample(mem.step, columns), map).map((p) => {
      const out: Record<string, number> = { step: p.step, x: p.x };
      for (const [k, v] of Object.entries(p)) if (k !== 'step' && k !== 'x') out[k] = mib(v);
      return out;
    });
  }, [mem, version, map]);
  const peak = predicted?.bytes.peak;
  const peakLabel = useMemo(() => peak !== undefined && { value: `predicted peak ${mibText(peak)}`, position: 'insideTopRight' as const, fontSize: 11, fill: COLORS.predicted }, [peak]);
  const hasAllocated = mem.allocated.some((v) => !Number.isNaN(v));
  const hasPeak = mem.peak.some((v) => !Number.isNaN(v));
  const figures = memoryFigures(m);
  const note = mem.hasBreakdown || data.length === 0 ? undefined : 'The engine reports no per-category breakdown in this build: the lines are the backend’s own figures.';
  const summary = data.length === 0 ? 'No training steps yet.'
    : `Measured peak ${mibText(figures.measured)}; predicted peak ${mibText(peak)}; the backend holds ${mibText(figures.inUse)} in use after the last step${figures.allocated === undefined ? '' : ` and ${mibText(figures.allocated)} allocated`}.`;
  return (
    <ChartCard id="memory" title="Memory (MiB)" wide empty={data.length === 0 ? empty : undefined} aside={<MemoryFigures figures={figures} predicted={predicted} />} summary={summary}>
      <ChartLegend items={legendItems(mem.hasBreakdown, hasPeak, hasAllocated, peak !== undefined)} />
      <ResponsiveContainer width="100%" height={CHART_HEIGHT + 40}>
        <ComposedChart data={data} {...chartProps('run')}>
          {xAxis(x)}
          <YAxis {...Y_AXIS} domain={DOMAIN_FROM_ZERO} unit="" />
          {/* Every series stays mounted, drawn or not: mounting one costs more than updating it. */}
          {MEMORY_CATEGORIES.map((c) => (
            <Area key={c} dataKey={c} name={CATEGORY_LABELS[c]} stackId="memory" type="stepAfter" stroke={CATEGORY_COLORS[c]} fill={CATEGORY_COLORS[c]} fillOpacity={0.55} isAnimationActive={false} unit=" MiB" />
          ))}
          <Line dataKey="peak" name="measured peak" stroke={COLORS.peak} strokeWidth={1.5} dot={false} isAnimationActive={false} type="stepAfter" unit=" MiB" />
          <Line dataKey="inUse" name="in use after the step" stroke={COLORS.inUse} strokeWidth={1.5} dot={false} isAnimationActive={false} unit=" MiB" />
          <Line dataKey="allocated" name="allocated (pool)" stroke={COLORS.allocated} strokeDasharray="4 3" strokeWidth={1.5} dot={false} isAnimationActive={false} unit=" MiB" />
          <ReferenceLine y={peak === undefined ? 0 : mib(peak)} stroke={COLORS.predicted} strokeOpacity={peak === undefined ? 0 : 1} strokeDasharray="6 4" ifOverflow="extendDomain" label={peakLabel || undefined} />
        </ComposedChart>
      </ResponsiveContainer>
      {note && <p className="note">{note}</p>}
    </ChartCard>
  );
});
