import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from './config';

/**
 * One optimizer's update for one parameter, written as PyTorch's single-tensor
 * (`foreach=False`) code path of torch.optim, op for op, in float32: the same order of
 * operations and the same scalars, cast to float32 where PyTorch casts them. Scalars that
 * PyTorch computes in Python (bias corrections, step sizes) are computed here in float64.
 */
export interface UpdateRule {
  readonly name: OptimizerName;
  /** The state tensors each parameter carries, named like PyTorch's state keys. */
  readonly slots: readonly string[];
  /** Whether the state also counts the parameter's own steps (PyTorch's `step` key). */
  readonly counted: boolean;
  /** Slots that can never be negative (running sums of squares): a loaded state is checked. */
  readonly nonNegative: readonly string[];
  /**
   * The scalars of one step that depend on the parameter's step count (bias corrections, decayed
   * rates), computed in float64 as PyTorch computes them in Python. `step` is the parameter's
   * 1-based step count, this step included. Empty for rules that use no such scalar.
   */
  stepScalars(step: number, lr: number): number[];
  /**
   * Runs inside `tf.tidy`. `state` is undefined on the parameter's first step (PyTorch creates
   * its state lazily); `scalars` are `stepScalars(step, lr)`, as numbers or, when the step count
   * lives on the device (a step whose skip is decided there), as float32 scalars picked there.
   * Returns the new parameter value and a new tensor for every slot.
   */
  update(param: tf.Tensor, grad: tf.Tensor, state: Readonly<Record<string, tf.Tensor>> | undefined, scalars: readonly StepScalar[], lr: number): {
    param: tf.Tensor;
    state: Record<string, tf.Tensor>;
  };
}

/** A per-step scalar: a host number, or a float32 scalar tensor holding the same float32 value. */
export type StepScalar = number | tf.Tensor;

/** −s, exactly, for either form. */
export const negate = (s: StepScalar): StepScalar => (typeof s === 'number' ? -s : tf.neg(s));

/** The i-th of a rule's step scalars; a missing one is a bug. */
export function stepScalar(scalars: readonly StepScalar[], i: number): StepScalar {
  const s = scalars[i];
  if (s === undefined) throw new Error(`optimizer rule: step scalar ${i} missing`);
  return s;
}

/** `y + alpha·x` as PyTorch's `y.add(x, alpha=alpha)` (the product is skipped when alpha is 1). */
export function axpy(y: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  return tf.add(y, alpha === 1 ? x : tf.mul(x, alpha));
}

/** `y + value·a·b` as PyTorch's `y.addcmul(a, b, value=value)`. */
export function addcmul(y: tf.Tensor, a: tf.Tensor, b: tf.Tensor, value: number): tf.Tensor {
  return tf.add(y, tf.mul(value === 1 ? a : tf.mul(a, value), b));
}

/** `y + value·a / b` as PyTorch's `y.addcdiv(a, b, value=value)`: (value·a)/b, then the sum. */
export function addcdiv(y: tf.Tensor, a: tf.Tensor, b: tf.Tensor, value: StepScalar): tf.Tensor {
  return tf.add(y, tf.div(value === 1 ? a : tf.mul(a, value), b));
}

/** The slot of a state that the rule's own update created; a missing one is a bug. */
export function slot(state: Readonly<Record<string, tf.Tensor>>, name: string): tf.Tensor {
  const t = state[name];
  if (!t) throw new Error(`optimizer state has no slot "${name}"`);
  return t;
}
