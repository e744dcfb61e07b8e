import * as tf from '@tensorflow/tfjs';

/*
 * The one place that leans on TF.js engine internals for recomputed segments (TF.js 4.22;
 * tests/engine/internals/tape.test.ts fails if any of this changes):
 *
 * 1. `tf.engine().state.activeTape` is the tape of the gradient computation in progress. A
 *    gradient call made while no other one is recording (which is the case inside a custom
 *    gradient, run during the outer backward pass) starts a fresh tape there and leaves it
 *    `null` when it ends. The outer `tf.grads` reads that field once more after its backward
 *    pass to free the tensors its nodes saved, so it crashes on the `null` (and would free the
 *    inner tape's nodes instead of its own had they been left there). Saving the field before
 *    the nested call and restoring it after makes the nested call invisible to the outer one.
 * 2. `tf.engine().gradients(f, xs, dy, true)` (the engine method behind `tf.grads`) gives
 *    no gradient (`undefined`, typed as a Tensor) for an x that `f` does not depend on, where
 *    `tf.grads` throws.
 */

/** Runs `f`, then puts the engine's active tape back as it was, whatever `f` did to it. */
export function withTapeRestored<T>(f: () => T): T {
  const state = tf.engine().state;
  const tape = state.activeTape;
  try {
    return f();
  } finally {
    state.activeTape = tape;
  }
}

/**
 * Gradients of `f(...xs)` with respect to each x, weighted by `dy` (f's output shape), safe to
 * call inside a custom gradient function. `null` where f does not depend on an x. The value
 * of f and every intermediate are disposed; only the gradients come back.
 */
export function nestedGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): (tf.Tensor | null)[] {
  return withTapeRestored(() => {
    const { value, grads } = tf.engine().gradients(() => f(...xs), xs, dy, true);
    if (!xs.includes(value)) value.dispose();
    return (grads as (tf.Tensor | undefined)[]).map((g) => g ?? null);
  });
}
