import { memo, useMemo } from 'react';
import type { ForecastInspection } from '../../engine/eval/forecastInspect';
import { ChartLegend } from '../charts/Legend';
import { num } from '../lab/format';
import { COLORS } from '../charts/palette';
import { Plot, type PlotPoint, type PlotSeries } from '../charts/plot/Plot';
import type { YOptions } from '../charts/plot/scales';

interface Props {
  inspection: ForecastInspection;
  variate: number;
}

const Y: YOptions = {};
const LEGEND = [
  { label: 'lookback', color: COLORS.train },
  { label: 'truth', color: COLORS.inUse },
  { label: 'forecast', color: COLORS.val },
] as const;
const rowLabel = (x: number) => `row ${Math.round(x)}`;

/**
 * One window of one variate in the CSV's units: the lookback the model read, then the truth and the
 * forecast over the horizon, by the row of the series (a spreadsheet's row number).
 */
export const ForecastChart = memo(function ForecastChart({ inspection: w, variate: j }: Props) {
  const series = useMemo((): PlotSeries[] => {
    const unit = (v: number) => v * w.std[j]! + w.mean[j]!;
    const first = w.row - w.history.length;
    const history: PlotPoint[] = w.history.map((r, i) => ({ x: first + i + 2, y: unit(r[j]!) }));
    // The last input row starts both lines after it, so they join the history.
    const joint = history.at(-1)!;
    const truth: PlotPoint[] = [joint, ...w.truth.map((r, h) => ({ x: w.row + h + 2, y: unit(r[j]!) }))];
    const forecast: PlotPoint[] = [joint, ...w.prediction.map((r, h) => ({ x: w.row + h + 2, y: unit(r[j]!) }))];
    return [
      { id: 'history', name: 'lookback', color: COLORS.train, points: history },
      { id: 'truth', name: 'truth', color: COLORS.inUse, points: truth },
      { id: 'forecast', name: 'forecast', color: COLORS.val, width: 2, points: forecast },
    ];
  }, [w, j]);
  const marks = useMemo(() => [w.row + 1.5], [w.row]);
  const [, truth, forecast] = series;
  const mae = truth!.points.slice(1).reduce((a, p, h) => a + Math.abs(p.y - forecast!.points[h + 1]!.y), 0) / Math.max(1, truth!.points.length - 1);
  const summary = `Lookback of ${w.history.length} rows up to row ${w.row + 1}, then the truth and the forecast for rows ${w.row + 2} to ${w.row + 1 + w.truth.length}: mean absolute error ${num(mae, 4)} in the series' units.`;
  return (
    <div className="forecast-chart">
      <div aria-hidden="true">
        <ChartLegend items={LEGEND} />
        <Plot series={series} x="step" y={Y} height={240} sync="forecast-window" xLabel={rowLabel} xMarks={marks} />
      </div>
      <p className="visually-hidden">{summary}</p>
    </div>
  );
});
