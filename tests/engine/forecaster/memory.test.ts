import { beforeAll, describe, expect, it } from 'vitest';
import { compareEvalMemory } from '../../../src/engine/bench/forecastEval';
import { measureTrainingStep } from '../../../src/engine/bench/measure';
import { predictForecasterMemory } from '../../../src/engine/memory/forecasterPredict';
import { isForecastRun, parseLabRunConfig, type ForecastRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { fileSeries } from '../../../src/cli/series';
import { windowBatch } from '../../../src/tasks/forecast/batches';
import { prepareForecastData } from '../../../src/tasks/forecast/series';
import { onBackend } from '../../helpers/backends';

const MiB = 2 ** 20;
const series = fileSeries();

beforeAll(() => onBackend('wasm'));

function forecastRun(model: Record<string, unknown>, train: Record<string, unknown>): ForecastRunConfig {
  const run = parseLabRunConfig(
    {
      model: { kind: 'forecaster', dModel: 32, nHeads: 4, nLayers: 3, dFF: 64, ...model },
      task: { name: 'forecast', dataset: 'seattle-weather', lookback: 48, horizon: 7 },
      train: { batchSize: 16, optimizer: { name: 'adam', lr: 1e-3 }, ...train },
    },
    series,
  );
  if (!isForecastRun(run)) throw new Error('not a forecast run');
  return run;
}

describe('the forecaster’s predicted memory against a measured training step', () => {
  it.each([
    ['fp32, pre-LN, GELU, window normalisation', {}, {}],
    ['fp16 (per-layer recompute, packed boundaries, loss scaling)', {}, { precision: 'fp16' }],
    ["'layers' checkpointing, post-LN, ReLU, dropout", { normFirst: false, activation: 'relu', dropout: 0.1 }, { checkpointing: 'layers' }],
    ['accumulation k=4, no window normalisation, clipping', { useNorm: false }, { gradAccumSteps: 4, clipGradNorm: 1 }],
    ['bf16, 2 layers per segment', {}, { precision: 'bf16', checkpointing: 2 }],
  ])('%s: the peak within 2%, the parts as the step reports them', async (name, model, train) => {
    const run = forecastRun(model, train);
    const predicted = predictForecasterMemory(run);
    const data = prepareForecastData(run.task, series(run.task));
    const measured = await measureTrainingStep(run, windowBatch(data, data.windows.train.subarray(0, run.train.batchSize)), 0, series);
    const ratio = predicted.peak / measured.peak;
    console.log(`[forecaster memory] ${name}: predicted ${(predicted.peak / MiB).toFixed(3)} MiB, measured ${(measured.peak / MiB).toFixed(3)} MiB, ratio ${ratio.toFixed(4)}`);
    expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(0.02);
    expect(predicted.parameters).toBe(measured.memory.parameters);
    expect(predicted.optimizerState).toBe(measured.memory.optimizerState);
    expect(predicted.halfCopies).toBe(measured.memory.halfCopies);
    expect(Math.abs(predicted.savedActivations / measured.memory.savedActivations - 1)).toBeLessThanOrEqual(0.02);
  }, 120_000);
});

describe('evaluation keeps the targets on the host', () => {
  it('peaks lower than computing the errors on the device, with the same MSE; eval lines report it', async () => {
    const run = forecastRun({}, {});
    const trainer = Trainer.create(run, { series });
    try {
      const data = trainer.forecastData!;
      const c = await compareEvalMemory(trainer.model.lookup, run.model, data, 'test');
      console.log(`[forecaster eval memory] host metrics peak ${c.hostMetrics.peakBytes} B, device metrics peak ${c.deviceMetrics.peakBytes} B (${((1 - c.hostMetrics.peakBytes / c.deviceMetrics.peakBytes) * 100).toFixed(1)}% less); read back ${c.hostMetrics.readBackBytes} B vs ${c.deviceMetrics.readBackBytes} B`);
      expect(Math.abs(c.mse.host - c.mse.device) / c.mse.device).toBeLessThan(1e-5);
      expect(c.hostMetrics.peakBytes).toBeLessThan(c.deviceMetrics.peakBytes);
      const line = await trainer.evaluate('test');
      expect(line.hostTargetBytes).toBe(4 * data.windows.test.length * data.horizon * data.columns.length);
      expect(line.evalPeakBytes).toBeGreaterThan(0);
      expect(line.evalPeakBytes).toBeLessThanOrEqual(c.hostMetrics.peakBytes);
    } finally {
      trainer.dispose();
    }
  }, 60_000);
});
