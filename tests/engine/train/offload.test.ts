import { describe, expect, it } from 'vitest';
import { parseLabRunConfig, parseRunConfig, type LabRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import type { StepMetrics } from '../../../src/engine/train/events';
import { fileSeries } from '../../../src/cli/series';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';

/*
 * `train.offload: "activations"` in the trainer: the run of checkpointing alone (per layer, as
 * offloading implies), step for step and bit for bit, with the boundaries' bytes in host memory
 * reported on every step line. Dropout on, two micro-batches, under fp32 and fp16.
 */

const tokenRun = (train: Record<string, unknown>): LabRunConfig =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nEncoderLayers: 2, nDecoderLayers: 2, dFF: 32, maxLen: 10, dropout: 0.1 },
    task: { name: 'reverse', minLength: 1, maxLength: 7, symbols: 6 },
    train: { batchSize: 8, seed: 4, validationSize: 8, gradAccumSteps: 2, readbackEvery: 2, optimizer: { name: 'adamw', lr: 0.01 }, ...train },
  });

const forecastRun = (train: Record<string, unknown>): LabRunConfig =>
  parseLabRunConfig(
    {
      model: { kind: 'forecaster', lookback: 12, horizon: 4, dModel: 16, nHeads: 2, nLayers: 2, dFF: 32, dropout: 0.1 },
      task: { name: 'forecast', dataset: 'seattle-weather', columns: ['temp_max', 'temp_min', 'precipitation'] },
      train: { batchSize: 8, seed: 4, gradAccumSteps: 2, readbackEvery: 2, optimizer: { name: 'adamw', lr: 0.01 }, ...train },
    },
    fileSeries(),
  );

async function runOf(run: LabRunConfig): Promise<{ steps: StepMetrics[]; weights: Map<string, number[]> }> {
  const trainer = Trainer.create(run, { series: fileSeries() });
  try {
    const steps = await trainer.trainSteps(4);
    const weights = new Map([...(await trainer.model.values())].map(([n, t]) => [n, Array.from(t.values)]));
    return { steps, weights };
  } finally {
    trainer.dispose();
  }
}

describe.each(NODE_BACKENDS)('offloaded training on %s', (backend) => {
  const cases = [
    ...(['fp32', 'fp16'] as const).map((precision) => ({ name: `reverse, ${precision}`, make: tokenRun, precision })),
    { name: 'forecaster, fp32', make: forecastRun, precision: 'fp32' as const },
  ];
  it.each(cases)('$name: the losses and weights of checkpointing per layer, boundaries counted in host memory', async ({ make, precision }) => {
    await onBackend(backend);
    const offloaded = await runOf(make({ precision, checkpointing: 'layers', offload: 'activations' }));
    const checkpointed = await runOf(make({ precision, checkpointing: 'layers' }));
    expect(offloaded.steps.map((m) => m.loss)).toEqual(checkpointed.steps.map((m) => m.loss));
    for (const [name, values] of checkpointed.weights) expect(offloaded.weights.get(name), name).toEqual(values);
    for (const m of offloaded.steps) expect(m.memory!.host).toBeGreaterThan(0);
    for (const m of checkpointed.steps) expect(m.memory!.host).toBeUndefined();
  }, 300_000);
});
