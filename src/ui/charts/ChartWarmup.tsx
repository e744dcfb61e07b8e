import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { RunMetrics } from '../lab/metrics';
import { AccuracyChart } from './AccuracyChart';
import { LossChart } from './LossChart';
import { LossScaleChart } from './LossScaleChart';
import { MemoryChart } from './MemoryChart';
import { SeriesChart } from './SeriesChart';

/** Made-up metrics that exercise every series of every chart. */
function sampleMetrics(): RunMetrics {
  const m = new RunMetrics();
  for (let s = 0; s < 40; s++) {
    m.addStep({ step: s, loss: 2 / (1 + s / 10), lr: 1e-3, gradNorm: 1 + (s % 3), tokensPerSec: 1000 + s, stepMs: 10, lossScale: 2 ** (16 - (s % 3)), skipped: s % 7 === 0 });
    m.addMemory(s, { parameters: 1e5, gradients: 1e5, optimizerState: 2e5, savedActivations: 1e6, halfCopies: 1e4, other: 5e5, peak: 2e6, backendInUse: 4e5, backendAllocated: 4e6 });
    if (s % 10 === 9) m.addEval({ step: s + 1, split: 'val', loss: 1, exactMatch: s / 40, tokenAccuracy: s / 40 });
  }
  return m;
}

const CHARTS: ((m: RunMetrics) => ReactElement)[] = [
  (m) => <LossChart metrics={m} version={m.version} x="step" empty="" />,
  (m) => <AccuracyChart metrics={m} version={m.version} x="step" startStep={0} empty="" />,
  (m) => <MemoryChart metrics={m} version={m.version} x="step" empty="" predicted={{ parameterCount: 1, bytes: { peak: 2e6 }, partial: false }} />,
  (m) => <SeriesChart id="warm" title="" name="warm-up" metrics={m} values={m.lr} reduce="last" color="#000" version={m.version} x="step" empty="" reference={{ y: 1, label: '', color: '#000' }} />,
  (m) => <LossScaleChart metrics={m} version={m.version} x="step" empty="" />,
];

/**
 * Draws each kind of chart once, out of sight, a moment after the page loads, one per task.
 * The first draw of a chart kind runs its code cold (several times slower); warmed up here, the
 * first draws of a real run stay short while the run trains.
 */
export function ChartWarmup() {
  const metrics = useMemo(sampleMetrics, []);
  const [index, setIndex] = useState(-1);
  useEffect(() => {
    if (index >= CHARTS.length) return;
    const id = setTimeout(() => setIndex((i) => i + 1), index < 0 ? 300 : 30);
    return () => clearTimeout(id);
  }, [index]);
  const chart = index >= 0 ? CHARTS[index] : undefined;
  if (!chart) return null;
  return (
    <div className="chart-warmup" aria-hidden="true" inert>
      {chart(metrics)}
    </div>
  );
}
