import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ForecastInspection } from '../../engine/eval/forecastInspect';
import { num } from '../lab/format';
import { COLORS } from '../charts/palette';

interface Props {
  inspection: ForecastInspection;
  variate: number;
}

const tick = { fontSize: 11, fill: COLORS.axis };

/**
 * One window of one variate in the CSV's units: the lookback the model read, then the truth and the
 * forecast over the horizon, by the row of the series (a spreadsheet's row number).
 */
export const ForecastChart = memo(function ForecastChart({ inspection: w, variate: j }: Props) {
  const data = useMemo(() => {
    const unit = (v: number) => v * w.std[j]! + w.mean[j]!;
    const first = w.row - w.history.length;
    const rows = w.history.map((r, i) => ({ row: first + i + 2, history: unit(r[j]!) }) as Record<string, number>);
    // The last input row starts both lines after it, so they join the history.
    rows.at(-1)!.truth = rows.at(-1)!.history!;
    rows.at(-1)!.forecast = rows.at(-1)!.history!;
    w.truth.forEach((r, h) => rows.push({ row: w.row + h + 2, truth: unit(r[j]!), forecast: unit(w.prediction[h]![j]!) }));
    return rows;
  }, [w, j]);
  return (
    <ResponsiveContainer width="100%" height={240}>
      <LineChart data={data} margin={{ top: 8, right: 14, bottom: 2, left: 0 }}>
        <CartesianGrid stroke={COLORS.grid} vertical={false} />
        <XAxis dataKey="row" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={tick} />
        <YAxis tick={tick} width={56} domain={['auto', 'auto']} tickFormatter={(v: number) => num(v)} />
        <Tooltip isAnimationActive={false} labelFormatter={(l) => `row ${String(l)}`} formatter={(v) => (typeof v === 'number' ? num(v, 4) : String(v))} />
        <Legend verticalAlign="top" height={24} />
        <ReferenceLine x={w.row + 1.5} stroke={COLORS.axis} strokeDasharray="3 3" />
        <Line dataKey="history" name="lookback" stroke={COLORS.train} dot={false} strokeWidth={1.5} isAnimationActive={false} />
        <Line dataKey="truth" name="truth" stroke={COLORS.inUse} dot={false} strokeWidth={1.5} isAnimationActive={false} />
        <Line dataKey="forecast" name="forecast" stroke={COLORS.val} dot={false} strokeWidth={2} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
});
