import { useMemo } from 'react';
import type { MemoryPrediction } from '../../worker/protocol';
import { useLabState } from '../lab/context';
import { RunMetrics } from '../lab/metrics';
import { AccuracyChart } from './AccuracyChart';
import { Later } from './Later';
import { LossChart } from './LossChart';
import { LossScaleChart } from './LossScaleChart';
import { MemoryChart } from './MemoryChart';
import { COLORS } from './palette';
import { SeriesChart } from './SeriesChart';
import { ForecastMetricsChart } from '../forecast/ForecastMetricsChart';

/** Before the first run the charts are drawn empty: mounting them costs nothing during training. */
const NO_METRICS = new RunMetrics();

interface Drawn {
  m: RunMetrics;
  v: number;
  startStep: number;
  idle: boolean;
  clip?: { y: number; label: string; color: string };
  predicted?: MemoryPrediction | null;
}

/** The charts of the current run (empty ones before the first). */
export function RunCharts() {
  const run = useLabState((s) => s.run);
  const m = run?.metrics ?? NO_METRICS;
  const v = m.version;
  const startStep = run?.startStep ?? 0;
  const clipNorm = run?.config.train.clipGradNorm ?? null;
  const predicted = run?.predicted;
  const idle = run === undefined;
  // A forecast's evaluations are MSE and MAE against its baselines, not accuracies.
  const forecast = run?.config.task.name === 'forecast';
  const now = useMemo<Drawn>(
    () => ({ m, v, startStep, idle, predicted, ...(clipNorm === null ? {} : { clip: { y: clipNorm, label: `clip ${clipNorm}`, color: COLORS.val } }) }),
    [m, v, startStep, idle, clipNorm, predicted],
  );
  const steps = (d: Drawn) => (d.idle ? 'Press Start to train.' : 'Waiting for the first step…');
  return (
    <div className="charts">
      <Later now={now} chart={(d) => <LossChart metrics={d.m} version={d.v} empty={steps(d)} />} />
      {forecast ? (
        <>
          <Later now={now} chart={(d) => <ForecastMetricsChart metric="mse" metrics={d.m} version={d.v} startStep={d.startStep} empty="Waiting for the first evaluation…" />} />
          <Later now={now} chart={(d) => <ForecastMetricsChart metric="mae" metrics={d.m} version={d.v} startStep={d.startStep} empty="Waiting for the first evaluation…" />} />
        </>
      ) : (
        <Later now={now} chart={(d) => <AccuracyChart metrics={d.m} version={d.v} startStep={d.startStep} empty={d.idle ? 'Press Start to train.' : 'Waiting for the first evaluation…'} />} />
      )}
      <Later now={now} wide chart={(d) => <MemoryChart metrics={d.m} version={d.v} predicted={d.predicted} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <SeriesChart id="lr" title="Learning rate" name="learning rate" steps={d.m.step} values={d.m.lr} reduce="last" color={COLORS.lr} version={d.v} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <SeriesChart id="grad-norm" title="Gradient norm (before clipping)" name="gradient norm" steps={d.m.step} values={d.m.gradNorm} reduce="mean" color={COLORS.grad} version={d.v} reference={d.clip} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <LossScaleChart metrics={d.m} version={d.v} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <SeriesChart id="throughput" title="Throughput (tokens/s)" name="tokens/s" steps={d.m.step} values={d.m.tokensPerSec} reduce="mean" color={COLORS.speed} version={d.v} empty={steps(d)} />} />
    </div>
  );
}
