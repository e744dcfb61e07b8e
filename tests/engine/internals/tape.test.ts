import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gradientsRecording, nestedGrads, recordForward, withTapeRestored } from '../../../src/engine/internals/tape';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';

/** The engine's tape field, read and written as tape.ts does (it is typed non-null, but is not). */
const engineState = () => tf.engine().state as unknown as { activeTape: unknown[] | null; gradientDepth: number };

/** x³ as a custom op whose gradient recomputes x³ with `inner` and weights it by dy. */
function cubeRecomputed(inner: (f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, dy: tf.Tensor) => tf.Tensor) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return {
      value: x.pow(3),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.tidy(() => inner((t) => t.pow(3), saved!, dy)),
    };
  });
}

describe.each(NODE_BACKENDS)('the TF.js internals tape.ts relies on, on %s', (backend) => {
  it('inside a custom gradient the active tape is the outer one, and a nested gradient call leaves it null', async () => {
    await onBackend(backend);
    const seen: { outer: unknown; depth: number; after: unknown }[] = [];
    const cube = cubeRecomputed((f, x, dy) => {
      const state = engineState();
      const outer = state.activeTape;
      const depth = state.gradientDepth;
      const { value, grads } = tf.engine().gradients(() => f(x), [x], dy, true);
      seen.push({ outer, depth, after: state.activeTape });
      state.activeTape = outer; // what withTapeRestored does
      value.dispose();
      return grads[0]!;
    });
    const g = tf.grad((x: tf.Tensor) => cube(x).mul(2))(tf.scalar(3));
    expect(await g.data()).toEqual(new Float32Array([2 * 3 * 9]));
    g.dispose();
    expect(seen).toHaveLength(1);
    expect(Array.isArray(seen[0]!.outer)).toBe(true);
    expect(seen[0]!.depth).toBe(0); // so the nested call starts a fresh tape of its own…
    expect(seen[0]!.after).toBeNull(); // …and clears the field when it ends
  });

  it('without restoring the tape the outer gradient call crashes', async () => {
    await onBackend(backend);
    const cube = cubeRecomputed((f, x, dy) => tf.engine().gradients(() => f(x), [x], dy, true).grads[0]!);
    const x = tf.scalar(3);
    expect(() => tf.grad((t: tf.Tensor) => cube(t))(x)).toThrow();
    x.dispose();
  });

  it('a nested gradient call gives null for an input its function does not read', async () => {
    await onBackend(backend);
    const [a, b, dy] = [tf.scalar(2), tf.scalar(5), tf.scalar(1)];
    const before = tf.memory().numTensors;
    const grads = nestedGrads((x) => x.square(), [a, b], dy);
    expect(grads[1]).toBeNull();
    expect(await grads[0]!.data()).toEqual(new Float32Array([4]));
    grads[0]!.dispose();
    expect(tf.memory().numTensors).toBe(before); // f's value and intermediates are gone
    tf.dispose([a, b, dy]);
  });

  it('ops inside a custom op forward are not recorded, so a variable read by closure gets no gradient', async () => {
    await onBackend(backend);
    const v = tf.variable(tf.scalar(2));
    const scaled = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor;
      return { value: x.mul(v).square(), gradFunc: (dy: tf.Tensor) => dy.mul(2).mul(x).mul(v).mul(v) };
    });
    const x = tf.scalar(3);
    let taped = -1;
    const { value, grads } = tf.engine().gradients(
      () => {
        const start = engineState().activeTape!.length;
        const y = scaled(x) as tf.Scalar;
        taped = engineState().activeTape!.length - start;
        return y;
      },
      [x, v],
      undefined,
      true,
    );
    expect(taped).toBe(1); // one node for the whole custom op, none for the mul and square inside it
    expect(await grads[0]!.data()).toEqual(new Float32Array([24]));
    expect(grads[1]).toBeUndefined(); // tape.ts turns this into null
    tf.dispose([value, grads[0]!, x, v]);
  });
});

describe.each(NODE_BACKENDS)('nestedGrads inside a custom gradient on %s', (backend) => {
  it('gives the right gradient, leaves the outer call intact and leaks nothing', async () => {
    await onBackend(backend);
    const cube = cubeRecomputed((f, x, dy) => nestedGrads(f, [x], dy)[0]!);
    const xs = tf.tensor1d([1, -2, 0.5]);
    const before = tf.memory().numTensors;
    // Two custom ops and ordinary ops around them, so the outer tape has work left after each recompute.
    const g = tf.grad((x: tf.Tensor) => cube(cube(x).add(1)).mul(x).sum())(xs);
    const want = [1, -2, 0.5].map((x) => {
      const u = x ** 3 + 1;
      return 3 * u * u * 3 * x * x * x + u ** 3;
    });
    const got = Array.from(await g.data());
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 3));
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(engineState().activeTape).toBeNull();
    xs.dispose();
  });

  it('restores the tape even when the nested function throws', async () => {
    await onBackend(backend);
    const marker: unknown[] = [];
    const state = engineState();
    const saved = state.activeTape;
    state.activeTape = marker;
    try {
      expect(() =>
        withTapeRestored(() => {
          state.activeTape = null;
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(state.activeTape).toBe(marker);
    } finally {
      state.activeTape = saved;
    }
  });
});

/**
 * f(x, w, e) = sum over the ops a segment runs: a matmul, a custom op (the analytic LayerNorm
 * stand-in: x³ with its own gradient), a mask made inside f from no input (its ops have no
 * gradient function, and need none), an extra input e, and x used twice. As a custom op whose
 * forward records f and whose backward walks that record.
 */
function recordedOp(f: (x: tf.Tensor, w: tf.Tensor, e: tf.Tensor) => tf.Tensor, seen: { before: number; grads?: number }) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, e] = args as tf.Tensor[];
    expect(gradientsRecording()).toBe(true);
    const recorded = recordForward(f, [x!, w!, e!]);
    return {
      value: recorded.value,
      gradFunc: (dy: tf.Tensor) => {
        const grads = recorded.backward(dy, () => (seen.before = tf.memory().numTensors));
        seen.grads = tf.memory().numTensors;
        return grads.map((g, i) => g ?? tf.zerosLike([x, w, e][i]!));
      },
    };
  });
}

describe.each(NODE_BACKENDS)('recordForward inside a custom op on %s', (backend) => {
  const cube = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return { value: x.pow(3), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => dy.mul(s!.square()).mul(3) };
  });
  const f = (x: tf.Tensor, w: tf.Tensor, e: tf.Tensor) => {
    const mask = tf.tensor2d([[1, -1, 2], [0, 3, -2]]).greater(0).cast('float32'); // Greater has no gradient
    const h = tf.matMul(x, w, false, true); // [2, 3]
    return (cube(h) as tf.Tensor).mul(mask).add(h.mul(x.sum())).add(e.square()).sum();
  };

  it('gives tf.grads\' gradients, records nothing on the outer tape, and frees its tape after the backward', async () => {
    await onBackend(backend);
    const x = tf.tensor2d([[0.5, -1], [2, 0.25]]);
    const w = tf.tensor2d([[1, 2], [-0.5, 0.3], [0.7, -1.2]]);
    const e = tf.tensor2d([[1, -1, 2], [0, 3, -2]]);
    const want = tf.grads(f)([x, w, e]);
    const before = tf.memory().numTensors;
    const seen: { before: number; grads?: number } = { before: -1 };
    let taped = -1;
    const { value, grads } = tf.engine().gradients(
      () => {
        const start = engineState().activeTape!.length;
        const y = recordedOp(f, seen)(x, w, e) as tf.Scalar;
        taped = engineState().activeTape!.length - start;
        return y;
      },
      [x, w, e],
      undefined,
      true,
    );
    expect(taped).toBe(1); // the custom op only: its inner ops went on the recorded tape
    expect(engineState().gradientDepth).toBe(0);
    for (const [i, g] of want.entries()) expect(Array.from(await grads[i]!.data())).toEqual(Array.from(await g.data()));
    // The tape's saved tensors and intermediate gradients were alive until just after the hook.
    expect(seen.before).toBeGreaterThan(seen.grads!);
    tf.dispose([value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, e, ...want]);
  });

  it('outside a gradient computation nothing records, so the runner must not record either', async () => {
    await onBackend(backend);
    expect(gradientsRecording()).toBe(false);
    let inside: boolean | null = null;
    tf.grad((x: tf.Tensor) => {
      inside = gradientsRecording();
      return x.square();
    })(tf.scalar(2)).dispose();
    expect(inside).toBe(true);
  });
});
