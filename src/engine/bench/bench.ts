import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../runConfig';
import { Trainer } from '../train/trainer';
import { toBatch } from '../../tasks/batches';
import { architecture } from '../config';
import { parameterCount } from '../params';
import { trainingFlops } from './flops';

export interface BenchResult {
  backend: string;
  steps: number;
  parameters: number;
  /** Median wall time of one optimizer step, read-back included. */
  stepMs: number;
  tokensPerSec: number;
  /** The engine's logical high-water mark over one step: every live tensor, weights included. */
  peakBytes: number;
  /** The same backend's fp32 matmul throughput, measured in this run. */
  matmulGflops: number;
  /** Model matmul FLOPs per second over that throughput. */
  mfu: number;
  modelGflopsPerStep: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Throughput of an n×n·n×n matmul, after a warm-up, with a read-back to make it synchronous. */
export async function matmulGflops(n = 512, repeats = 8): Promise<number> {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  const run = async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  await run();
  await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

/** Times `steps` training steps of `run` (after `warmup` steps, 2 by default) and measures one step's peak. */
export async function benchmark(
  run: RunConfig,
  opts: { steps: number; warmup?: number; onStep?: (done: number, total: number) => void },
): Promise<BenchResult> {
  const trainer = Trainer.create(run);
  try {
    for (let i = 0; i < (opts.warmup ?? 2); i++) await trainer.trainStep();
    const profile = await tf.profile(async () => {
      await trainer.trainStep();
      return [];
    });
    const times: number[] = [];
    const tokenRates: number[] = [];
    for (let i = 0; i < opts.steps; i++) {
      const m = await trainer.trainStep();
      times.push(m.stepMs);
      tokenRates.push(m.tokensPerSec);
      opts.onStep?.(i + 1, opts.steps);
    }
    const stepMs = median(times);
    const sample = toBatch(trainer.validationSet.slice(0, run.train.batchSize), architecture(run.model));
    const flops = trainingFlops(run.model, sample) * (run.train.batchSize / sample.tgtOut.length);
    const gflops = await matmulGflops();
    return {
      backend: tf.getBackend(),
      steps: opts.steps,
      parameters: parameterCount(run.model),
      stepMs,
      tokensPerSec: median(tokenRates),
      peakBytes: profile.peakBytes,
      matmulGflops: gflops,
      mfu: flops / (stepMs / 1000) / (gflops * 1e9),
      modelGflopsPerStep: flops / 1e9,
    };
  } finally {
    trainer.dispose();
  }
}
