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
 * 3. An op records a node on `state.activeTape` when `gradientDepth > 0` and `kernelDepth`
 *    is 0; inside a custom op's forward `kernelDepth` is above 0, so nothing is recorded there.
 *    A node is `{inputs, outputs, saved, gradient(dys)}`: `saved` are kept clones of what its
 *    gradient reads, which the engine frees only when the whole gradient computation ends, and
 *    `gradient(dys)` gives one function per named input that makes that input's gradient.
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

interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineState {
  activeTape: TapeNode[] | null;
  gradientDepth: number;
  kernelDepth: number;
}

/** A forward pass recorded on a tape of its own, to be walked backward later, once. */
export interface RecordedForward {
  value: tf.Tensor;
  /**
   * Gradients of `value` weighted by `dy` with respect to each x (null where value does not
   * depend on it); frees everything the forward saved and every intermediate gradient, after
   * calling `beforeFreeing` (a memory meter's sample: the high-water mark of the backward pass).
   */
  backward(dy: tf.Tensor, beforeFreeing?: () => void): (tf.Tensor | null)[];
}

/**
 * Whether a gradient computation is recording: a custom op's forward that runs while this is
 * true will have its gradient function called.
 */
export const gradientsRecording = (): boolean => (tf.engine().state as unknown as EngineState).gradientDepth > 0;

/**
 * Runs `f(...xs)` inside a custom op's forward pass with the tape on, recording its ops on a tape
 * of its own rather than the engine's: what they save stays alive (kept) until `backward`, which
 * runs their gradients as the engine's own backward pass would, without running f again.
 * Call it only where `gradientsRecording()` (else nothing would ever free the saved tensors),
 * and call `backward` exactly once.
 */
export function recordForward(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): RecordedForward {
  const state = tf.engine().state as unknown as EngineState;
  const { activeTape, gradientDepth, kernelDepth } = state;
  const tape: TapeNode[] = [];
  state.activeTape = tape;
  state.gradientDepth = Math.max(1, gradientDepth);
  state.kernelDepth = 0;
  let value: tf.Tensor;
  try {
    value = f(...xs);
  } finally {
    Object.assign(state, { activeTape, gradientDepth, kernelDepth });
  }
  return { value, backward: (dy, beforeFreeing) => backpropagate(tape, value, xs, dy, beforeFreeing) };
}

/**
 * The engine's backward pass over a recorded tape: nodes from the last, each input's gradient
 * summed over its uses. As the engine does, only inputs that depend on an x get a gradient
 * (a dropout mask or a padding bias needs none).
 */
function backpropagate(tape: TapeNode[], value: tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor, beforeFreeing?: () => void): (tf.Tensor | null)[] {
  const fromXs = new Set(xs.map((x) => x.id));
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromXs.has(t.id))) for (const o of node.outputs) fromXs.add(o.id);
  }
  const grads = new Map<number, tf.Tensor>([[value.id, dy]]);
  let result: (tf.Tensor | null)[] = [];
  try {
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i]!;
      const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
      const needed = Object.entries(node.inputs).filter(([, x]) => fromXs.has(x.id));
      if (needed.length === 0 || dys.every((d) => d === null)) continue;
      if (!node.gradient) throw new Error('an op of a recorded forward pass has no gradient function');
      const inputGradients = node.gradient(dys);
      for (const [name, x] of needed) {
        const dx = tf.tidy(() => inputGradients[name]!());
        const sum = grads.get(x.id);
        if (sum === undefined) {
          grads.set(x.id, dx);
        } else {
          grads.set(x.id, tf.add(sum, dx));
          if (sum !== dy) sum.dispose();
          dx.dispose();
        }
      }
    }
    result = xs.map((x) => grads.get(x.id) ?? null);
    beforeFreeing?.();
    return result;
  } finally {
    const kept = new Set(result);
    for (const g of grads.values()) if (g !== dy && !kept.has(g)) g.dispose();
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  }
}
