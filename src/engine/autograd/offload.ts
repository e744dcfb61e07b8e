import * as tf from '@tensorflow/tfjs';
import type { StackRunner } from '../model/forward';
import type { Checkpointing, Precision, PrecisionPolicy } from '../precision/policy';
import { recomputingRunner, runnerFor, type BoundaryKeeper } from './checkpoint';

/*
 * Activation offloading (`train.offload: "activations"`), as DeepSpeed's activation
 * checkpointing with CPU offload does it: every checkpointed segment's boundary leaves the device
 * for host memory between the forward and the backward pass, and comes back just before that
 * segment's recompute. Nothing else changes: the same segments, recomputed the same way
 * (checkpoint.ts), so the gradients are those of checkpointing alone, bit for bit.
 *
 * A gradient computation in TF.js runs its forward and backward passes in one synchronous call,
 * and a read from a GPU is asynchronous, so an offloaded step splits them: the forward pass is
 * recorded (internals/tape.ts `recordForward`), `offload()` awaits the reads and frees the device
 * copies, and then the recorded backward pass runs. Boundaries come back by an upload, which needs
 * no wait. Each stack's last segment is recomputed too, rather than keeping its tape: a tape
 * alive between the passes is what offloading exists to avoid.
 */

interface HostTensor {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** The boundaries of one micro-batch's forward pass: on the device until offloaded, then in host memory. */
export class HostBoundaries {
  private readonly onDevice = new Map<number, tf.Tensor>();
  private readonly onHost = new Map<number, HostTensor>();
  private next = 0;

  /** Bytes waiting in host memory. */
  get hostBytes(): number {
    let bytes = 0;
    for (const t of this.onHost.values()) bytes += t.values.byteLength;
    return bytes;
  }

  /** Takes a device tensor (float32, or packed halves as int32); returns its slot. */
  keep(t: tf.Tensor): number {
    const slot = this.next++;
    this.onDevice.set(slot, tf.keep(t));
    return slot;
  }

  /** Reads every boundary still on the device into host memory and frees its device copy. */
  async offload(): Promise<void> {
    const pending = [...this.onDevice];
    const values = await Promise.all(pending.map(([, t]) => t.data() as Promise<Float32Array | Int32Array>));
    pending.forEach(([slot, t], i) => {
      this.onHost.set(slot, { values: values[i]!, shape: t.shape.slice(), dtype: t.dtype as HostTensor['dtype'] });
      this.onDevice.delete(slot);
      t.dispose();
    });
  }

  /** A device copy of the boundary in `slot` (uploaded from host memory once offloaded); the caller disposes it. */
  restore(slot: number): tf.Tensor {
    const device = this.onDevice.get(slot);
    if (device) return tf.clone(device);
    const host = this.onHost.get(slot);
    if (!host) throw new Error(`no offloaded boundary in slot ${slot}`);
    return tf.tensor(host.values, host.shape, host.dtype);
  }

  /** Frees whatever is left, on the device and on the host. */
  dispose(): void {
    for (const t of this.onDevice.values()) t.dispose();
    this.onDevice.clear();
    this.onHost.clear();
  }

  /** A stack's keeper: its segments' boundaries go to this micro-batch's slots. */
  keeper(): BoundaryKeeper {
    const slots: number[] = [];
    return {
      // A float32 boundary may be a tensor something else owns (the stack's input): keep an alias.
      keep: (s, boundary) => void (slots[s] = this.keep(tf.clone(boundary))),
      saved: () => [],
      take: (s) => this.restore(slots[s]!),
      release: (boundary) => boundary.dispose(),
      keepsTape: false,
    };
  }
}

/** Checkpointed segments of `mode` layers whose boundaries go to `host`. */
export function offloadRunner(mode: Exclude<Checkpointing, 'none'>, storage: Precision, host: HostBoundaries): StackRunner {
  return recomputingRunner(mode, storage, () => host.keeper());
}

/** A step's stacks with offloading: a fresh runner per micro-batch, its boundaries going to that micro-batch's host memory. */
export interface OffloadingRunner {
  offload: (host: HostBoundaries) => StackRunner;
}

/** How a policy's steps run their stacks: checkpoint.ts's runner, or offloaded segments of the same size. */
export function stepRunnerFor(policy: PrecisionPolicy): StackRunner | OffloadingRunner {
  if (!policy.offload) return runnerFor(policy);
  return { offload: (host) => offloadRunner(policy.segmentSize, policy.boundaryStorage, host) };
}
