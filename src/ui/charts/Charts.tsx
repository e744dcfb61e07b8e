import { useMemo, type ReactElement } from 'react';
import { evalPlanOf, type EvalKind } from '../../tasks/metrics';
import type { MemoryPrediction } from '../../worker/protocol';
import { useLabState } from '../lab/context';
import { RunMetrics } from '../lab/metrics';
import { SampleTimeline } from '../text/SampleTimeline';
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

/** A text run's held-out bits per character, one point per evaluation. */
function bitsPerChar(d: Drawn, empty: string) {
  const evals = d.m.evals.filter((e) => e.bitsPerChar !== undefined);
  return (
    <SeriesChart id="bits-per-char" title="Held-out bits per character" name="bits/char" steps={evals.map((e) => e.step)} values={evals.map((e) => e.bitsPerChar!)}
      reduce="last" color={COLORS.val} version={d.v} empty={empty} />
  );
}

/**
 * The charts of each kind of evaluation (tasks/metrics.ts): accuracies; a text run's samples
 * beside its bits per character; a forecast's MSE and MAE against its baselines.
 */
const EVAL_CHARTS: Record<EvalKind, ((d: Drawn, empty: string) => ReactElement)[]> = {
  answers: [(d, empty) => <AccuracyChart metrics={d.m} version={d.v} startStep={d.startStep} empty={empty} />],
  text: [(d, empty) => <SampleTimeline metrics={d.m} version={d.v} empty={empty} />, bitsPerChar],
  forecast: (['mse', 'mae'] as const).map((metric) => (d: Drawn, empty: string) => (
    <ForecastMetricsChart metric={metric} metrics={d.m} version={d.v} startStep={d.startStep} empty={empty} />
  )),
};

/** The charts of the current run (empty ones before the first). */
export function RunCharts() {
  const run = useLabState((s) => s.run);
  const m = run?.metrics ?? NO_METRICS;
  const v = m.version;
  const startStep = run?.startStep ?? 0;
  const clipNorm = run?.config.train.clipGradNorm ?? null;
  const predicted = run?.predicted;
  const idle = run === undefined;
  const kind = evalPlanOf(run?.config.task.name ?? '').kind;
  const now = useMemo<Drawn>(
    () => ({ m, v, startStep, idle, predicted, ...(clipNorm === null ? {} : { clip: { y: clipNorm, label: `clip ${clipNorm}`, color: COLORS.val } }) }),
    [m, v, startStep, idle, clipNorm, predicted],
  );
  const steps = (d: Drawn) => (d.idle ? 'Press Start to train.' : 'Waiting for the first step…');
  const evals = (d: Drawn) => (d.idle ? 'Press Start to train.' : 'Waiting for the first evaluation…');
  return (
    <div className="charts">
      <Later now={now} chart={(d) => <LossChart metrics={d.m} version={d.v} empty={steps(d)} />} />
      {EVAL_CHARTS[kind].map((chart, i) => <Later key={`${kind}-${i}`} now={now} chart={(d) => chart(d, evals(d))} />)}
      <Later now={now} wide chart={(d) => <MemoryChart metrics={d.m} version={d.v} predicted={d.predicted} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <SeriesChart id="lr" title="Learning rate" name="learning rate" steps={d.m.step} values={d.m.lr} reduce="last" color={COLORS.lr} version={d.v} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <SeriesChart id="grad-norm" title="Gradient norm (before clipping)" name="gradient norm" steps={d.m.step} values={d.m.gradNorm} reduce="mean" color={COLORS.grad} version={d.v} reference={d.clip} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <LossScaleChart metrics={d.m} version={d.v} empty={steps(d)} />} />
      <Later now={now} chart={(d) => <SeriesChart id="throughput" title="Throughput (tokens/s)" name="tokens/s" steps={d.m.step} values={d.m.tokensPerSec} reduce="mean" color={COLORS.speed} version={d.v} empty={steps(d)} />} />
    </div>
  );
}
