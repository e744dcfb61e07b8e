import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchmark } from '../../../src/engine/bench/bench';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { onBackend } from '../../helpers/backends';

const RUN = parseRunConfig({
  model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 8 },
  task: { name: 'reverse', minLength: 3, maxLength: 6, symbols: 5 },
  train: { batchSize: 4, steps: 10, seed: 3, optimizer: { name: 'adam', lr: 0.01 }, validationSize: 8 },
});

describe('benchmark', () => {
  beforeAll(() => onBackend('cpu'));

  it("reports the run's own peak (a step profiled alone after the same steps) and leaves no tensor", async () => {
    const before = tf.memory().numTensors;
    const result = await benchmark(RUN, { steps: 3 });
    expect(tf.memory().numTensors).toBe(before);

    const trainer = Trainer.create(RUN);
    await trainer.warmUp();
    for (let i = 0; i < 2; i++) await trainer.trainStep();
    const alone = await tf.profile(async () => {
      await trainer.trainStep();
      return [];
    });
    trainer.dispose();
    expect(result.peakBytes).toBe(alone.peakBytes);
    expect(result.matmulGflops).toBeGreaterThan(0);
    expect(result.mfu).toBeCloseTo((result.modelGflopsPerStep / (result.stepMs / 1000)) / result.matmulGflops, 10);
  });
});
