import * as tf from '@tensorflow/tfjs';
import type { MemoryBreakdown } from '../memory/breakdown';
import type { Optimizer } from '../optim/optimizers';
import type { DeviceLossScaler, LossScaler } from '../precision/lossScaler';
import { READOUT, StepGate } from './step';

/** A step queued on the device and not yet read back. */
export interface QueuedStep {
  step: number;
  lr: number;
  /** Non-PAD input tokens of its micro-batches. */
  tokens: number;
  memory: MemoryBreakdown;
  /** READOUT's layout, on the device until the window is read. */
  readout: tf.Tensor;
}

/** A queued step as the read found it. */
export interface ReadStep {
  queued: QueuedStep;
  loss: number;
  gradNorm: number;
  /** An inf/NaN gradient skipped it (loss scaling). */
  overflow: boolean;
  /** The loss scale it ran with (1 without scaling). */
  scale: number;
}

/**
 * The steps queued since the last read, and the step state that lets them run without one: the
 * device's loss scaler and stop flag. `read` takes every step's readout and the scaler's state
 * in a single read, then tells the optimizer which steps landed and the host's scaler where the
 * device's went.
 */
export class ReadbackWindow {
  private queued: QueuedStep[] = [];
  private started = 0;
  readonly gate = new StepGate();

  constructor(
    private readonly optimizer: Optimizer,
    private readonly scaler: LossScaler | null,
    readonly deviceScaler: DeviceLossScaler | null,
  ) {}

  get size(): number {
    return this.queued.length;
  }

  /** Bytes of the step state kept on the device between steps (stop flag; loss scale and growth count). */
  get stateBytes(): number {
    return 1 + (this.deviceScaler ? 8 : 0);
  }

  /**
   * Adds a queued step; `startedAt` is when its queueing began (performance.now()): on cpu and
   * wasm a step computes while it is queued, so the window's clock starts there, not here.
   */
  push(step: QueuedStep, startedAt: number): void {
    if (this.queued.length === 0) this.started = startedAt;
    this.queued.push(step);
  }

  /**
   * Reads every queued step. `stepMs` shares the wall time since its first step was queued evenly.
   * `diverged` is the index of the first step whose loss was not finite without a scaler: it
   * and every later step of the window landed nowhere (the device's stop flag).
   */
  async read(): Promise<{ steps: ReadStep[]; stepMs: number; diverged: number | null }> {
    const queued = this.queued;
    this.queued = [];
    if (queued.length === 0) return { steps: [], stepMs: 0, diverged: null };
    const all = tf.tidy(() => tf.concat([...queued.map((q) => q.readout), ...(this.deviceScaler ? [this.deviceScaler.snapshot()] : [])]));
    let values: Float32Array;
    try {
      values = (await all.data()) as Float32Array;
    } finally {
      tf.dispose([all, ...queued.map((q) => q.readout)]);
    }
    const stepMs = (performance.now() - this.started) / queued.length;
    const at = (i: number, field: number) => values[i * READOUT.size + field]!;
    const steps = queued.map((q, i) => ({
      queued: q,
      loss: at(i, READOUT.loss),
      gradNorm: at(i, READOUT.gradNorm),
      overflow: at(i, READOUT.overflow) > 0,
      scale: at(i, READOUT.scale),
    }));
    const firstBad = this.scaler ? -1 : steps.findIndex((s) => !Number.isFinite(s.loss));
    const diverged = firstBad < 0 ? null : firstBad;
    this.optimizer.settle(steps.map((s, i) => (diverged === null || i < diverged) && Number.isFinite(s.loss) && !s.overflow));
    if (this.scaler) {
      const tail = queued.length * READOUT.size;
      this.scaler.mirror({ scale: values[tail]!, growthTracker: values[tail + 1]! });
    }
    return { steps, stepMs, diverged };
  }

  dispose(): void {
    tf.dispose(this.queued.map((q) => q.readout));
    this.queued = [];
    this.deviceScaler?.dispose();
    this.gate.dispose();
  }
}
