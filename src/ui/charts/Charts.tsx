import { useMemo, type ReactElement } from 'react';
import type { LabRunConfig } from '../../engine/runConfig';
import { precisionPolicy } from '../../engine/precision/policy';
import { evalPlanOf, type EvalKind } from '../../tasks/metrics';
import type { MemoryPrediction } from '../../worker/protocol';
import { ForecastMetricsChart } from '../forecast/ForecastMetricsChart';
import { useLabState } from '../lab/context';
import { RunMetrics } from '../lab/metrics';
import { SampleTimeline } from '../text/SampleTimeline';
import { AccuracyChart } from './AccuracyChart';
import { EvalChart } from './EvalChart';
import { Later } from './Later';
import { LossChart } from './LossChart';
import { LossScaleChart } from './LossScaleChart';
import { MemoryChart } from './MemoryChart';
import { COLORS } from './palette';
import { SeriesChart } from './SeriesChart';
import { useChartSettings, XAxisPicker, type XAxisKind } from './settings';

/** Before the first run the charts are drawn empty: mounting them costs nothing during training. */
const NO_METRICS = new RunMetrics();

/** What every chart of the run is drawn from at a draw window. */
interface Drawn {
  m: RunMetrics;
  v: number;
  x: XAxisKind;
  config?: LabRunConfig;
  startStep: number;
  idle: boolean;
  predicted?: MemoryPrediction | null;
}

/**
 * The run's charts, in order. Each kind of evaluation (tasks/metrics.ts) has charts of its own:
 * `kinds` keeps a chart to the runs it fits (before the first run, the example tasks').
 */
interface RunChart {
  id: string;
  wide?: boolean;
  kinds?: readonly EvalKind[];
  draw(d: Drawn): ReactElement;
}

const waiting = (d: Drawn, what = 'step') => (d.idle ? 'Press Start to train.' : `Waiting for the first ${what}…`);

const RUN_CHARTS: readonly RunChart[] = [
  { id: 'loss', draw: (d) => <LossChart metrics={d.m} version={d.v} x={d.x} empty={waiting(d)} /> },
  // Exact match and token accuracy are what the sequence tasks' evaluation reports.
  { id: 'accuracy', kinds: ['answers'], draw: (d) => <AccuracyChart metrics={d.m} version={d.v} x={d.x} startStep={d.startStep} empty={waiting(d, 'evaluation')} /> },
  // A text run's samples (gibberish turning into words) beside its bits per character.
  { id: 'samples', kinds: ['text'], draw: (d) => <SampleTimeline metrics={d.m} version={d.v} empty={waiting(d, 'evaluation')} /> },
  {
    id: 'bits-per-char', kinds: ['text'],
    draw: (d) => <EvalChart id="bits-per-char" title="Held-out bits per character" metric="bitsPerChar" metrics={d.m} version={d.v} x={d.x} startStep={d.startStep} empty={waiting(d, 'evaluation')} />,
  },
  ...(['mse', 'mae'] as const).map((metric): RunChart => ({
    id: `forecast-${metric}`, kinds: ['forecast'],
    draw: (d) => <ForecastMetricsChart metric={metric} metrics={d.m} version={d.v} x={d.x} startStep={d.startStep} empty={waiting(d, 'evaluation')} />,
  })),
  { id: 'memory', wide: true, draw: (d) => <MemoryChart metrics={d.m} version={d.v} x={d.x} predicted={d.predicted} empty={waiting(d)} /> },
  { id: 'lr', draw: (d) => <SeriesChart id="lr" title="Learning rate" name="learning rate" metrics={d.m} values={d.m.lr} reduce="last" color={COLORS.lr} version={d.v} x={d.x} empty={waiting(d)} /> },
  {
    id: 'grad-norm',
    draw: (d) => {
      const clip = d.config?.train.clipGradNorm ?? null;
      const reference = clip === null ? undefined : { y: clip, label: `clip ${clip}`, color: COLORS.val };
      return <SeriesChart id="grad-norm" title="Gradient norm (before clipping)" name="gradient norm" metrics={d.m} values={d.m.gradNorm} reduce="mean" color={COLORS.grad} version={d.v} x={d.x} reference={reference} empty={waiting(d)} />;
    },
  },
  {
    id: 'loss-scale',
    draw: (d) => <LossScaleChart metrics={d.m} version={d.v} x={d.x} {...(d.config ? { scaling: precisionPolicy(d.config.train).lossScaling, precision: d.config.train.precision } : {})} empty={waiting(d)} />,
  },
  { id: 'throughput', draw: (d) => <SeriesChart id="throughput" title="Throughput (tokens/s)" name="tokens per second" metrics={d.m} values={d.m.tokensPerSec} reduce="mean" color={COLORS.speed} version={d.v} x={d.x} empty={waiting(d)} /> },
];

/** The charts of the current run (empty ones before the first), with the x axis picker. */
export function RunCharts() {
  const run = useLabState((s) => s.run);
  const { xAxis } = useChartSettings();
  const m = run?.metrics ?? NO_METRICS;
  const v = m.version;
  const config = run?.config;
  const startStep = run?.startStep ?? 0;
  const predicted = run?.predicted;
  const idle = run === undefined;
  const now = useMemo<Drawn>(() => ({ m, v, x: xAxis, startStep, idle, predicted, ...(config ? { config } : {}) }), [m, v, xAxis, startStep, idle, predicted, config]);
  const kind = evalPlanOf(config?.task.name ?? '').kind;
  const identity = `${run?.id ?? 'none'}:${run?.state === 'running' || run?.state === 'starting' ? 'live' : 'still'}`;
  return (
    <section className="run-charts" id="charts" tabIndex={-1} aria-labelledby="charts-title">
      <div className="section-head">
        <h2 id="charts-title">Charts</h2>
        <XAxisPicker id="run-x-axis" />
      </div>
      <div className="charts">
        {RUN_CHARTS.filter((c) => !c.kinds || c.kinds.includes(kind)).map((c) => (
          <Later key={c.id} now={now} wide={c.wide} identity={identity} chart={c.draw} />
        ))}
      </div>
    </section>
  );
}
