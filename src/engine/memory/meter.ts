import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import { hasHalfKernels } from '../kernels/half';
import type { StackLayer, StackRunner } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import type { PrecisionPolicy } from '../precision/policy';
import type { Batch } from '../../tasks/types';
import type { MemoryBreakdown } from './breakdown';
import { liveMemory } from './live';
import { halfCopyBytes, microShape } from './shapes';

/** The engine's logical byte count of live tensors: CPU-side bookkeeping, never a device read. */
const liveBytes = (): number => tf.memory().numBytes;

/**
 * An identity op whose gradient calls `onBackward` when the backward pass reaches it. Its
 * output is an alias of `x`, which TF.js counts as x's bytes once more (as it counts every
 * alias): probe only small tensors (a scalar loss, a bias, an embedding table).
 */
export function probe<T extends tf.Tensor>(x: T, onBackward: () => void): T {
  const op = tf.customGrad((input, _save) => ({
    value: tf.clone(input as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      onBackward();
      return dy as tf.Tensor;
    },
  }));
  return op(x) as T;
}

/** Whether a parameter read by this name gets a probe in `lookup` (the embedding tables; the forecaster's window embedding). */
const probedAtTheEnd = (name: string) => name.endsWith('_embed.weight') || name === 'embed.weight';

/**
 * Samples `tf.memory().numBytes` (CPU-side bookkeeping, never a device read) at the moments of
 * a training step where its high-water mark can be:
 * - at the start and end of each micro-batch's forward pass (`beginForward`, `endForward`);
 * - at the start of its backward pass, through a probe on the loss (`watchLoss`): what the
 *   forward kept, since TF.js frees the forward's other outputs when the forward ends;
 * - at the end of every layer's forward pass, and of its backward pass through a probe on the
 *   layer's first read of a 1-D parameter, the layer's first op on the tape, whose gradient
 *   runs last (`runner`); recomputed segments run the same layers, so their recompute is
 *   sampled too;
 * - near the end of the whole backward pass, through a probe on each embedding table, read by
 *   the forward's first op (`lookup`);
 * - wherever the step calls `sample()`: after each micro-batch's backward pass and gradient
 *   sum, after clipping, after the optimizer step.
 * TF.js keeps every intermediate gradient until the backward pass ends, so memory only rises
 * during it apart from transients inside one op's gradient: the samples see the peak to within
 * those (a few [rows, T, dModel] tensors; about 1% below tf.profile's peak with recompute, exact
 * without).
 */
export class MemoryMeter {
  private high = 0;
  private start = 0;
  private kept = 0;
  private half = 0;
  private micro = -1;

  /** Every sample, in order, when the meter was made with `trace` (for calibration and tests). */
  readonly trace: { label: string; bytes: number }[] | null;

  /**
   * @param halfCopiesOf bytes of half-size boundaries micro-batch `micro` keeps (0 without).
   * @param trace keep every sample with its label in `trace`.
   */
  constructor(
    private readonly halfCopiesOf: (micro: number) => number = () => 0,
    trace = false,
  ) {
    this.trace = trace ? [] : null;
  }

  /** Samples the live bytes now; returns them. `label` names the moment in `trace`. */
  sample(label = 'step'): number {
    const bytes = liveBytes();
    if (bytes > this.high) this.high = bytes;
    this.trace?.push({ label, bytes });
    return bytes;
  }

  /** The highest sample so far. */
  get peak(): number {
    return this.high;
  }

  /** Call first thing in micro-batch `micro`'s forward pass. */
  beginForward(micro: number): void {
    this.micro = micro;
    this.start = this.sample('forward-start');
  }

  /** Call once the forward pass has its loss. */
  endForward(): void {
    this.sample('forward-end');
  }

  /** The loss, through a probe whose gradient runs first in the backward pass. */
  watchLoss<T extends tf.Tensor>(loss: T): T {
    const micro = this.micro;
    const start = this.start;
    return probe(loss, () => {
      const kept = this.sample('backward-start') - start;
      const half = this.halfCopiesOf(micro);
      if (kept - half > this.kept - this.half) {
        this.kept = kept;
        this.half = half;
      }
    });
  }

  /** `p`, with a probe on every read of an embedding table (read by the forward's first op). */
  lookup(p: ParamLookup): ParamLookup {
    return (name) => (probedAtTheEnd(name) ? probe(p(name), () => this.sample(`backward:${name}`)) : p(name));
  }

  /**
   * `run`, with every layer probed at the end of its backward pass: the layer's first read of a
   * 1-D parameter (a LayerNorm weight or a bias, so the probe's alias costs a few bytes) goes
   * through a probe. Recomputed segments call the same layers, so their backward passes are
   * probed too, and so is the end of the backward pass of a segment that kept its tape.
   */
  runner(run: StackRunner): StackRunner {
    const wrap = (layer: StackLayer): StackLayer => ({
      prefix: layer.prefix,
      paramNames: layer.paramNames,
      apply: (p, x, extras) => {
        let armed = true;
        const watched: ParamLookup = (name) => {
          const t = p(name);
          if (!armed || t.rank !== 1) return t;
          armed = false;
          return probe(t, () => this.sample(`backward:${layer.prefix}`));
        };
        const out = layer.apply(watched, x, extras);
        // The end of a layer's forward: in a recomputed segment, its last layer's is the
        // recompute's high-water mark, before TF.js frees what the backward does not need.
        this.sample(`forward:${layer.prefix}`);
        return out;
      },
    });
    const observer = { keptBackwardEnd: () => void this.sample('kept-backward-end') };
    return (layers, x, extras, p) => run(layers.map(wrap), x, extras, p, observer);
  }

  /**
   * The step's breakdown. `savedActivations` is what the forward kept (live bytes at the start
   * of the backward pass minus those at the start of the forward), less the half-size copies,
   * for the micro-batch that kept the most.
   */
  breakdown(fixed: { parameters: number; gradients: number; optimizerState: number }): MemoryBreakdown {
    const savedActivations = Math.max(0, this.kept - this.half);
    const halfCopies = this.half;
    const peak = this.high;
    const known = fixed.parameters + fixed.gradients + fixed.optimizerState + savedActivations + halfCopies;
    return { ...fixed, savedActivations, halfCopies, other: Math.max(0, peak - known), peak, ...backendFigures() };
  }
}

/** The backend's own figures now: bytes in GPU buffers in use and the pool's on WebGPU, the logical count elsewhere. */
export function backendFigures(): Pick<MemoryBreakdown, 'backendInUse' | 'backendAllocated'> {
  const memory = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
  const onGpu = tf.getBackend() === 'webgpu';
  return {
    backendInUse: liveMemory().bytes,
    ...(onGpu && memory.numBytesAllocatedInGPU !== undefined ? { backendAllocated: memory.numBytesAllocatedInGPU } : {}),
  };
}

/** The meter of one training step over `microBatches`, knowing the half-size boundaries the policy keeps. */
export function stepMeter(cfg: ModelConfig, policy: PrecisionPolicy, microBatches: readonly Batch[], trace = false): MemoryMeter {
  if (policy.boundaryStorage === 'fp32') return new MemoryMeter(undefined, trace);
  const packed = hasHalfKernels();
  const halfCopies = (micro: number) => {
    const b = microBatches[micro];
    return b ? halfCopyBytes(cfg, policy, microShape(b), packed) : 0;
  };
  return new MemoryMeter(halfCopies, trace);
}
