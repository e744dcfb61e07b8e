import { memo, useMemo } from 'react';
import { Area, ComposedChart, Line, ReferenceLine, ResponsiveContainer, YAxis } from 'recharts';
import { MEMORY_CATEGORIES, type MemoryPrediction as Prediction } from '../../worker/protocol';
import { MemoryPrediction } from '../components/MemoryPrediction';
import type { RunMetrics } from '../lab/metrics';
import { mib, num } from '../lab/format';
import { downsample, type Reduce } from '../lab/series';
import { CHART_HEIGHT, DOMAIN_FROM_ZERO, MARGIN, stepAxis, Y_AXIS } from './axes';
import { ChartLegend, type LegendItem } from './Legend';
import { ChartCard } from './ChartCard';
import { CATEGORY_COLORS, CATEGORY_LABELS, COLORS } from './palette';

const ASIDE = <MemoryPrediction />;

function legendItems(breakdown: boolean, allocated: boolean, predicted: boolean): LegendItem[] {
  return [
    ...(breakdown ? MEMORY_CATEGORIES.map((c): LegendItem => ({ label: CATEGORY_LABELS[c], color: CATEGORY_COLORS[c], mark: 'area' })) : []),
    { label: 'backend in use', color: COLORS.inUse },
    ...(allocated ? [{ label: 'backend allocated', color: COLORS.allocated, mark: 'dashed' } as const] : []),
    ...(predicted ? [{ label: 'predicted peak', color: COLORS.predicted, mark: 'dashed' } as const] : []),
  ];
}

interface Props {
  metrics: RunMetrics;
  version: number;
  predicted?: Prediction | null;
  /** Shown over the empty chart. */
  empty: string;
}

/**
 * Memory after each step in MiB: the engine's breakdown as a stacked area (when it reports
 * one), the backend's own in-use and allocated figures as lines, the predicted peak as a
 * reference line.
 */
export const MemoryChart = memo(function MemoryChart({ metrics: m, version, predicted, empty }: Props) {
  const mem = m.memory;
  const data = useMemo(() => {
    const columns: Record<string, { values: readonly number[]; reduce: Reduce }> = {
      inUse: { values: mem.inUse, reduce: 'max' },
      allocated: { values: mem.allocated, reduce: 'max' },
    };
    if (mem.hasBreakdown) for (const c of MEMORY_CATEGORIES) columns[c] = { values: mem.categories[c], reduce: 'max' };
    return downsample(mem.step, columns).map((p) => {
      const out: Record<string, number> = { step: p.step };
      for (const [k, v] of Object.entries(p)) if (k !== 'step') out[k] = mib(v);
      return out;
    });
  }, [mem, version]);
  const peak = predicted?.bytes.peak;
  const peakLabel = useMemo(() => peak !== undefined && { value: `predicted peak ${num(mib(peak))} MiB`, position: 'insideTopRight' as const, fontSize: 11, fill: COLORS.predicted }, [peak]);
  const hasAllocated = mem.allocated.some((v) => !Number.isNaN(v));
  const note = mem.hasBreakdown || data.length === 0 ? undefined : 'The engine reports no per-category breakdown in this build: the lines are the backend’s own figures.';
  return (
    <ChartCard id="memory" title="Memory (MiB)" wide empty={data.length === 0 ? empty : undefined} aside={ASIDE}>
      <ChartLegend items={legendItems(mem.hasBreakdown, hasAllocated, peak !== undefined)} />
      <ResponsiveContainer width="100%" height={CHART_HEIGHT + 40}>
        <ComposedChart data={data} margin={MARGIN}>
          {stepAxis()}
          <YAxis {...Y_AXIS} domain={DOMAIN_FROM_ZERO} />
          {/* Every series stays mounted, drawn or not: mounting one costs more than updating it. */}
          {MEMORY_CATEGORIES.map((c) => (
            <Area key={c} dataKey={c} name={CATEGORY_LABELS[c]} stackId="memory" type="stepAfter" stroke={CATEGORY_COLORS[c]} fill={CATEGORY_COLORS[c]} fillOpacity={0.55} isAnimationActive={false} />
          ))}
          <Line dataKey="inUse" name="backend in use" stroke={COLORS.inUse} strokeWidth={1.5} dot={false} isAnimationActive={false} />
          <Line dataKey="allocated" name="backend allocated" stroke={COLORS.allocated} strokeDasharray="4 3" strokeWidth={1.5} dot={false} isAnimationActive={false} />
          <ReferenceLine y={peak === undefined ? 0 : mib(peak)} stroke={COLORS.predicted} strokeOpacity={peak === undefined ? 0 : 1} strokeDasharray="6 4" ifOverflow="extendDomain" label={peakLabel || undefined} />
        </ComposedChart>
      </ResponsiveContainer>
      {note && <p className="note">{note}</p>}
    </ChartCard>
  );
});
