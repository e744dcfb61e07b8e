import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import type { EvalMetrics, StepMetrics } from '../../../src/engine/train/events';
import { onBackend } from '../../helpers/backends';

/*
 * Memory that tells the truth over time: a long run with every toggle that makes and frees
 * tensors (fp16 rounding and packed boundaries, loss scaling, a recomputed segment and a kept
 * one, accumulation, evaluation with greedy decoding) must end with what it held early on.
 * Tiny on purpose (about 2,000 kernels a step): the test is about counts, not speed.
 */

const STEPS = 2000;

describe('no leaks over a long run', () => {
  it(`${STEPS} steps (fp16, recompute, accumulation, evaluation every 500) end with the live tensors and bytes of step 20`, async () => {
    await onBackend('wasm');
    const run = parseRunConfig({
      model: { dModel: 8, nHeads: 2, nDecoderLayers: 2, dFF: 16, maxLen: 12, dropout: 0.1 },
      task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 4 },
      train: {
        batchSize: 4, gradAccumSteps: 2, steps: STEPS, seed: 1, precision: 'fp16', checkpointing: 'layers',
        evalEvery: 500, validationSize: 8, optimizer: { name: 'sgd', lr: 0.1 },
      },
    });
    const trainer = Trainer.create(run);
    const steps: StepMetrics[] = [];
    const evals: EvalMetrics[] = [];
    trainer.subscribe((e) => (e.type === 'step' ? steps.push(e.metrics) : evals.push(e.metrics)));
    try {
      await trainer.train();
    } finally {
      trainer.dispose();
    }
    expect(evals.map((e) => e.step)).toEqual([500, 1000, 1500, 2000]);
    const [early, last] = [steps[20]!, steps[STEPS - 1]!];
    expect(early.liveTensors).toBeGreaterThan(0);
    expect(last.liveTensors).toBe(early.liveTensors);
    expect(last.liveBytes).toBe(early.liveBytes);
    // Flat all along, not only at the two ends.
    expect(new Set(steps.slice(20).map((s) => s.liveTensors)).size).toBe(1);
  }, 300_000);
});
