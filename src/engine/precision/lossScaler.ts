import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../validation';

export interface LossScalerConfig {
  initScale: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
}

/** What a saved run carries to resume the scaler exactly (PyTorch's `scale` and `_growth_tracker`). */
export interface LossScalerState {
  scale: number;
  growthTracker: number;
}

/**
 * Dynamic loss scaling with PyTorch GradScaler's rule (its `_amp_update_scale_` kernel): an
 * overflow multiplies the scale by `backoffFactor` and restarts the count of clean steps;
 * `growthInterval` clean steps in a row multiply it by `growthFactor`, unless that overflows
 * float32. The scale is held as a float32 value, as PyTorch holds it.
 */
export class LossScaler {
  private current: number;
  private tracker = 0;

  constructor(readonly config: LossScalerConfig) {
    this.current = Math.fround(config.initScale);
  }

  get scale(): number {
    return this.current;
  }

  get growthTracker(): number {
    return this.tracker;
  }

  /** PyTorch unscales with the float32 reciprocal of the scale. */
  get inverseScale(): number {
    return Math.fround(1 / this.current);
  }

  update(foundInf: boolean): void {
    if (foundInf) {
      this.current = Math.fround(this.current * this.config.backoffFactor);
      this.tracker = 0;
      return;
    }
    const successful = this.tracker + 1;
    if (successful === this.config.growthInterval) {
      const grown = Math.fround(this.current * this.config.growthFactor);
      if (Number.isFinite(grown)) this.current = grown;
      this.tracker = 0;
    } else {
      this.tracker = successful;
    }
  }

  state(): LossScalerState {
    return { scale: this.current, growthTracker: this.tracker };
  }

  /** Takes the state the device arrived at (DeviceLossScaler), read back as float32 values. */
  mirror(state: LossScalerState): void {
    this.current = Math.fround(state.scale);
    this.tracker = state.growthTracker;
  }

  /** Restores a saved state; a malformed one is refused and changes nothing. */
  load(raw: unknown): void {
    const s = raw as Partial<LossScalerState> | null;
    const issues = [];
    if (typeof s !== 'object' || s === null) throw new ConfigError([{ path: 'lossScalerState', message: 'must be an object with scale and growthTracker' }]);
    if (typeof s.scale !== 'number' || !(s.scale > 0) || !Number.isFinite(s.scale)) {
      issues.push({ path: 'lossScalerState.scale', message: `must be a finite number > 0 (got ${JSON.stringify(s.scale)})` });
    }
    const t = s.growthTracker;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= this.config.growthInterval) {
      issues.push({ path: 'lossScalerState.growthTracker', message: `must be a whole number in [0, ${this.config.growthInterval}) (got ${JSON.stringify(t)})` });
    }
    if (issues.length) throw new ConfigError(issues);
    this.current = Math.fround(s.scale!);
    this.tracker = t!;
  }
}

/**
 * The same rule held on the device, so that a step's skip and the next step's scale are decided
 * without reading anything back: `scale` and `growthTracker` are float32 scalars that `update`
 * replaces from the step's overflow flag. The host's LossScaler learns the result at the next
 * read (`mirror`). The factors multiply in float32 (PyTorch's kernel multiplies in double and
 * rounds): the same values for the default powers of two.
 */
export class DeviceLossScaler {
  private scaleTensor: tf.Tensor;
  private trackerTensor: tf.Tensor;

  constructor(
    readonly config: LossScalerConfig,
    state: LossScalerState,
  ) {
    this.scaleTensor = tf.scalar(state.scale, 'float32');
    this.trackerTensor = tf.scalar(state.growthTracker, 'float32');
  }

  /** The scale of the step being built (float32 scalar; owned by the scaler). */
  get scale(): tf.Tensor {
    return this.scaleTensor;
  }

  /** [scale, growthTracker] as they stand, for the next read-back (the caller disposes it). */
  snapshot(): tf.Tensor {
    return tf.stack([this.scaleTensor, this.trackerTensor]);
  }

  /** GradScaler's update from `found` (bool scalar: an inf/NaN gradient). `commit` false builds it and keeps nothing. */
  update(found: tf.Tensor, commit = true): void {
    const c = this.config;
    const [scale, tracker] = tf.tidy(() => {
      const successful = this.trackerTensor.add(1);
      const grow = successful.equal(c.growthInterval);
      const grown = this.scaleTensor.mul(c.growthFactor);
      const grew = tf.where(grow.logicalAnd(grown.isFinite()), grown, this.scaleTensor);
      return [
        tf.where(found, this.scaleTensor.mul(c.backoffFactor), grew),
        tf.where(found.logicalOr(grow), tf.zerosLike(successful), successful),
      ];
    });
    if (!commit) {
      tf.dispose([scale, tracker]);
      return;
    }
    tf.dispose([this.scaleTensor, this.trackerTensor]);
    this.scaleTensor = scale!;
    this.trackerTensor = tracker!;
  }

  dispose(): void {
    tf.dispose([this.scaleTensor, this.trackerTensor]);
  }
}
