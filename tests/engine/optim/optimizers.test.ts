import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseOptimizerConfig } from '../../../src/engine/optim/config';
import { decodeFloat32Base64 } from '../../../src/engine/weights/base64';
import { createOptimizer, type NamedVariable } from '../../../src/engine/optim/optimizers';
import { agreement, f32, makeParams, optimizerFixture, type OptimizerCase } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

const fx = optimizerFixture();
const cases = fx.cases.map((c) => [c.id, c] as const);

const gradsOf = (c: OptimizerCase, step: number) =>
  new Map(Object.entries(c.steps[step]?.grads ?? {}).map(([k, g]) => [k, tf.tensor(f32(g), c.params[k]?.shape ?? [])]));

const disposeAll = (m: Map<string, tf.Tensor>) => m.forEach((t) => t.dispose());
const disposeParams = (ps: NamedVariable[]) => ps.forEach((p) => p.variable.dispose());

/**
 * Worst |got − want| / max(|want|, rms(want)): relative error, except that elements far below
 * the tensor's own scale (where a cancellation leaves a few ulps of the operands) are measured
 * against that scale.
 */
function scaledError(got: Float32Array, want: Float32Array): number {
  const rms = Math.sqrt(want.reduce((s, w) => s + w * w, 0) / Math.max(want.length, 1));
  let worst = got.length === want.length ? 0 : Infinity;
  want.forEach((w, i) => {
    const d = Math.abs((got[i] ?? Number.NaN) - w);
    worst = Math.max(worst, Number.isNaN(d) ? Infinity : d / Math.max(Math.abs(w), rms, 1e-30));
  });
  return worst;
}

describe('optimizers against torch.optim (fixtures from tools/fixtures/make_optim_fixtures.py)', () => {
  it.each(cases)('%s: every parameter after every step', async (_id, c) => {
    const params = makeParams(c);
    const opt = createOptimizer(parseOptimizerConfig(c.config), params);
    let worst = 0;
    let exact = 0;
    let total = 0;
    c.steps.forEach((s, i) => {
      const grads = gradsOf(c, i);
      opt.step(grads, s.lr);
      disposeAll(grads);
      for (const p of params) {
        const got = p.variable.dataSync() as Float32Array;
        const want = f32(s.params[p.name] ?? []);
        worst = Math.max(worst, scaledError(got, want));
        exact += agreement(got, want).exact;
        total += want.length;
      }
    });
    // PyTorch's CPU kernels fuse add(alpha=) and addcmul into FMAs; plain TF.js ops round the
    // product first, so some elements differ by an ulp or two. Measured: worst 2.3e-7 (sgd),
    // 80–99% of the values bit-identical per case (91% over all cases).
    expect(worst).toBeLessThanOrEqual(1e-6);
    expect(exact / total).toBeGreaterThanOrEqual(0.75);
    expect(opt.stepCount).toBe(c.steps.length);

    // the state, under PyTorch's own names, holds PyTorch's values
    const saved = await opt.saveState();
    expect(Object.keys(saved.slots).sort()).toEqual(Object.keys(c.state).filter((k) => Object.keys(c.state[k] ?? {}).length > 0).sort());
    for (const [param, slots] of Object.entries(c.state)) {
      for (const [slot, want] of Object.entries(slots)) {
        const got = saved.slots[param]?.[slot];
        expect(got?.shape, `${param}.${slot}`).toEqual(want.shape);
        const values = decodeFloat32Base64(got?.base64 ?? '') ?? new Float32Array();
        if (slot === 'step') expect(Array.from(values)).toEqual(want.data);
        else expect(scaledError(values, f32(want.data)), `${param}.${slot}`).toBeLessThanOrEqual(1e-6);
      }
      expect(Object.keys(saved.slots[param] ?? {}).sort()).toEqual(Object.keys(slots).sort());
    }
    opt.dispose();
    disposeParams(params);
  });

  it.each(cases)('%s: a parameter without a gradient is left alone, state and all', async (_id, c) => {
    const params = makeParams(c);
    const opt = createOptimizer(parseOptimizerConfig(c.config), params);
    const before = params.map((p) => p.variable.dataSync().slice());
    opt.step(new Map(), 0.1); // no gradients at all: nothing moves
    params.forEach((p, i) => expect(p.variable.dataSync()).toEqual(before[i]));
    expect((await opt.saveState()).slots).toEqual({});
    const grads = gradsOf(c, 0); // the fixture's step 0 leaves out "c"
    expect(grads.has('c')).toBe(false);
    opt.step(grads, c.steps[0]?.lr ?? 0);
    disposeAll(grads);
    expect(params[2]?.variable.dataSync()).toEqual(before[2]);
    const saved = await opt.saveState();
    expect(saved.slots.c).toBeUndefined();
    expect(saved.step).toBe(2);
    opt.dispose();
    disposeParams(params);
  });

  it.each(cases)('%s: leaks no tensors and reads nothing back while stepping', (_id, c) => {
    const params = makeParams(c);
    const start = tf.memory().numTensors;
    const opt = createOptimizer(parseOptimizerConfig(c.config), params);
    const read = vi.spyOn(tf.backend(), 'readSync');
    const readAsync = vi.spyOn(tf.backend(), 'read');
    const counts: number[] = [];
    c.steps.forEach((s, i) => {
      const grads = gradsOf(c, i);
      opt.step(grads, s.lr);
      disposeAll(grads);
      counts.push(tf.memory().numTensors);
    });
    expect(read).not.toHaveBeenCalled();
    expect(readAsync).not.toHaveBeenCalled();
    // state appears on a parameter's first gradient ("c" has none on step 0), then stays put
    expect(new Set(counts.slice(1)).size).toBe(1);
    const slotsPerParam = Object.values(c.state)[0] ? Object.keys(Object.values(c.state)[0] ?? {}).filter((s) => s !== 'step').length : 0;
    expect((counts[1] ?? 0) - start).toBe(3 * slotsPerParam);
    expect(opt.stateBytes()).toBe(slotsPerParam * (12 + 4 + 6) * 4);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(start);
    disposeParams(params);
  });

  it('stays leak-free inside an outer tf.tidy, and the state survives it', async () => {
    const params = [{ name: 'w', variable: tf.variable(tf.tensor([1, 2, 3])) }];
    const opt = createOptimizer(parseOptimizerConfig({ name: 'adam', lr: 0.1 }), params);
    const start = tf.memory().numTensors;
    tf.tidy(() => opt.step(new Map([['w', tf.tensor([0.1, -0.2, 0.3])]]), 0.1));
    expect(tf.memory().numTensors).toBe(start + 2);
    expect(opt.stateBytes()).toBe(2 * 3 * 4);
    const saved = await opt.saveState();
    expect(Object.keys(saved.slots.w ?? {}).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
    opt.dispose();
    disposeParams(params);
  });

  it('counts its steps, with or without gradients', () => {
    const params = [{ name: 'w', variable: tf.variable(tf.tensor([1, 2])) }];
    const opt = createOptimizer(parseOptimizerConfig({ name: 'sgd', lr: 0.1 }), params);
    expect(opt.stepCount).toBe(0);
    expect(opt.stateBytes()).toBe(0);
    const g = tf.tensor([1, 1]);
    opt.step(new Map([['w', g]]), 0.5);
    opt.step(new Map(), 0.5);
    expect(opt.stepCount).toBe(2);
    expect(Array.from(params[0]?.variable.dataSync() ?? [])).toEqual([0.5, 1.5]);
    expect(opt.stateBytes()).toBe(0); // plain SGD keeps no state
    expect(g.isDisposed).toBe(false); // the gradients stay the caller's
    g.dispose();
    opt.dispose();
    disposeParams(params);
  });

  it('refuses bad gradients and learning rates before touching anything', () => {
    const params = [
      { name: 'a', variable: tf.variable(tf.tensor([1, 2])) },
      { name: 'b', variable: tf.variable(tf.tensor([3, 4])) },
    ];
    const opt = createOptimizer(parseOptimizerConfig({ name: 'sgd', lr: 0.1, momentum: 0.9 }), params);
    const good = tf.tensor([1, 1]);
    const wrongShape = tf.tensor([1, 1, 1]);
    const wrongType = tf.tensor([1, 1], [2], 'int32');
    expect(() => opt.step(new Map([['a', good], ['b', wrongShape]]), 0.1)).toThrow(
      'optimizer.step: gradient of "b" is float32 [3], the parameter is float32 [2]',
    );
    expect(() => opt.step(new Map([['a', good], ['b', wrongType]]), 0.1)).toThrow('gradient of "b" is int32 [2]');
    expect(() => opt.step(new Map([['a', good], ['z', good]]), 0.1)).toThrow('optimizer.step: gradient for unknown parameter "z"');
    expect(() => opt.step(new Map([['a', good]]), -0.1)).toThrow(RangeError);
    expect(() => opt.step(new Map([['a', good]]), Number.NaN)).toThrow(RangeError);
    expect(Array.from(params[0]?.variable.dataSync() ?? [])).toEqual([1, 2]);
    expect(opt.stepCount).toBe(0);
    expect(opt.stateBytes()).toBe(0);
    [good, wrongShape, wrongType].forEach((t) => t.dispose());
    opt.dispose();
    expect(() => opt.step(new Map(), 0.1)).toThrow('sgd optimizer is disposed');
    disposeParams(params);
  });

  it('refuses a parameter list with a name twice or a non-float parameter', () => {
    const v = tf.variable(tf.tensor([1]));
    const cfg = parseOptimizerConfig({ name: 'sgd', lr: 0.1 });
    expect(() => createOptimizer(cfg, [{ name: 'w', variable: v }, { name: 'w', variable: v }])).toThrow('parameter "w" is listed twice');
    const i = tf.variable(tf.tensor([1], [1], 'int32'));
    expect(() => createOptimizer(cfg, [{ name: 'i', variable: i }])).toThrow('parameter "i" is int32, not float32');
    v.dispose();
    i.dispose();
  });
});
