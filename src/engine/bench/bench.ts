import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../runConfig';
import { Trainer } from '../train/trainer';
import { toBatch } from '../../tasks/batches';
import { architecture } from '../config';
import { parameterCount } from '../params';
import { trainingFlops } from './flops';
import { median } from './interleave';
import { webgpuPoolBytes } from '../internals/webgpu';

export interface BenchResult {
  backend: string;
  steps: number;
  parameters: number;
  /** Median wall time of one optimizer step, read-back included. */
  stepMs: number;
  tokensPerSec: number;
  /**
   * The high-water mark of the backend's live tensors over one step, weights included: the
   * device's memory (activations offloaded to host memory are not in it).
   */
  peakBytes: number;
  /** With `train.offload`: the bytes of segment boundaries that step kept in host memory. */
  hostBytes?: number;
  /** The same backend's fp32 matmul throughput: the median of probes between the timed steps. */
  matmulGflops: number;
  /** Model matmul FLOPs per second over that throughput. */
  mfu: number;
  modelGflopsPerStep: number;
  /** The first step of a fresh trainer, read-back included (on WebGPU: after the warm-up, unless cold). */
  firstStepMs: number;
  /** The compile-only warm-up before it (WebGPU; null when it did not run). */
  warmUpMs: number | null;
  /** WebGPU: bytes in GPU buffers in use after the measured step, and in every buffer the pool holds (its high-water mark). */
  gpuMemory?: { inUseBytes: number; allocatedBytes: number };
}

/**
 * The backend's fp32 matmul throughput, probed between training steps: `time` runs `repeats`
 * n×n·n×n matmuls (each read back, which makes it synchronous) and resolves to the milliseconds
 * of one; `gflops` turns a time into throughput. Timing the probe round by round with the steps,
 * rather than once beside them, puts both under the same load: a peak taken in a quiet second
 * against steps timed on a busy host gave an MFU over 100%.
 */
export function matmulProbe(n = 512, repeats = 4): { time: () => Promise<number>; gflops: (ms: number) => number; dispose: () => void } {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  return {
    time: async () => {
      const start = performance.now();
      for (let i = 0; i < repeats; i++) {
        const c = tf.matMul(a, b);
        await c.data();
        c.dispose();
      }
      return (performance.now() - start) / repeats;
    },
    gflops: (ms) => (2 * n ** 3) / (ms / 1000) / 1e9,
    dispose: () => tf.dispose([a, b]),
  };
}

/**
 * Times `steps` training steps of `run` (after `warmup` steps, 2 by default, the first of them
 * timed alone) and measures one step's peak. Steps are read back `readbackEvery` at a time, as
 * the trainer runs them. `warmUp` forces WebGPU's compile-only warm-up on or off (default: the
 * trainer's choice).
 */
export async function benchmark(
  run: RunConfig,
  opts: { steps: number; warmup?: number; warmUp?: boolean; onStep?: (done: number, total: number) => void },
): Promise<BenchResult> {
  const trainer = Trainer.create(run, { compileWarmUp: opts.warmUp });
  let probe: ReturnType<typeof matmulProbe> | undefined;
  try {
    await trainer.warmUp();
    const firstStarted = performance.now();
    await trainer.trainStep();
    const firstStepMs = performance.now() - firstStarted;
    for (let i = 1; i < (opts.warmup ?? 2); i++) await trainer.trainStep();
    let hostBytes: number | undefined;
    const profile = await tf.profile(async () => {
      hostBytes = (await trainer.trainStep()).memory?.host;
      return [];
    });
    // The pool is read and the probe made after the measured step: the probe's buffers are not the run's.
    const pool = webgpuPoolBytes();
    probe = matmulProbe();
    await probe.time(); // compiles the matmul before anything is timed
    const times: number[] = [];
    const tokenRates: number[] = [];
    const probeTimes: number[] = [];
    while (times.length < opts.steps) {
      for (const m of await trainer.trainSteps(Math.min(run.train.readbackEvery, opts.steps - times.length))) {
        times.push(m.stepMs);
        tokenRates.push(m.tokensPerSec);
      }
      probeTimes.push(await probe.time());
      opts.onStep?.(times.length, opts.steps);
    }
    const stepMs = median(times);
    const sample = toBatch(trainer.validationSet.slice(0, run.train.batchSize), architecture(run.model));
    const flops = trainingFlops(run.model, sample) * (run.train.batchSize / sample.tgtOut.length);
    const gflops = probe.gflops(median(probeTimes));
    return {
      backend: tf.getBackend(),
      steps: opts.steps,
      parameters: parameterCount(run.model),
      stepMs,
      tokensPerSec: median(tokenRates),
      peakBytes: profile.peakBytes,
      ...(hostBytes !== undefined ? { hostBytes } : {}),
      matmulGflops: gflops,
      mfu: flops / (stepMs / 1000) / (gflops * 1e9),
      modelGflopsPerStep: flops / 1e9,
      firstStepMs,
      warmUpMs: trainer.warmUpMs,
      ...(pool ? { gpuMemory: { inUseBytes: pool.inUse, allocatedBytes: pool.allocated } } : {}),
    };
  } finally {
    trainer.dispose();
    probe?.dispose();
  }
}
