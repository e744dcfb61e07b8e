import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOptimizerConfig } from '../../../src/engine/optim/config';
import { encodeFloat32Base64 } from '../../../src/engine/weights/base64';
import { createOptimizer, type NamedVariable, type Optimizer, type OptimizerState } from '../../../src/engine/optim/optimizers';
import { ConfigError } from '../../../src/engine/validation';
import { f32, makeParams, optimizerFixture, type OptimizerCase } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const gradsOf = (c: OptimizerCase, step: number) =>
  new Map(Object.entries(c.steps[step]?.grads ?? {}).map(([k, g]) => [k, tf.tensor(f32(g), c.params[k]?.shape ?? [])]));

function stepWith(opt: Optimizer, c: OptimizerCase, step: number): void {
  const grads = gradsOf(c, step);
  opt.step(grads, c.steps[step]?.lr ?? 0);
  grads.forEach((g) => g.dispose());
}

/** The parameters' bits, as plain arrays of uint32 (so that -0 and NaN compare exactly). */
const bits = (ps: NamedVariable[]) => ps.map((p) => Array.from(new Uint32Array((p.variable.dataSync() as Float32Array).slice().buffer)));

describe('saveState → loadState', () => {
  it.each(optimizerFixture().cases.map((c) => [c.id, c] as const))(
    '%s: a restored optimizer continues exactly as the uninterrupted one',
    async (_id, c) => {
      const cfg = parseOptimizerConfig(c.config);
      const paramsA = makeParams(c);
      const a = createOptimizer(cfg, paramsA);
      const cut = 6; // "c" has had no gradient on step 5: its step count lags the others
      for (let s = 0; s < cut; s++) stepWith(a, c, s);
      const saved = JSON.parse(JSON.stringify(await a.saveState())) as OptimizerState;
      expect(saved.name).toBe(cfg.name);
      expect(saved.step).toBe(cut);

      const paramsB = paramsA.map((p) => ({ name: p.name, variable: tf.variable(p.variable.clone()) }));
      const b = createOptimizer(cfg, paramsB);
      b.loadState(saved);
      expect(b.stepCount).toBe(cut);
      expect(b.stateBytes()).toBe(a.stateBytes());
      expect(await b.saveState()).toEqual(saved);
      for (let s = cut; s < c.steps.length; s++) {
        stepWith(a, c, s);
        stepWith(b, c, s);
        expect(bits(paramsB)).toEqual(bits(paramsA));
      }
      expect(await b.saveState()).toEqual(await a.saveState());
      [a, b].forEach((o) => o.dispose());
      [...paramsA, ...paramsB].forEach((p) => p.variable.dispose());
    },
  );

  it('saves the state as it was when called, even if a step follows at once', async () => {
    const c = optimizerFixture().cases.find((x) => x.id === 'adam') as OptimizerCase;
    const params = makeParams(c);
    const opt = createOptimizer(parseOptimizerConfig(c.config), params);
    stepWith(opt, c, 1);
    const before = await opt.saveState();
    const pending = opt.saveState();
    stepWith(opt, c, 2);
    expect(await pending).toEqual(before);
    expect(await opt.saveState()).not.toEqual(before);
    opt.dispose();
    params.forEach((p) => p.variable.dispose());
  });

  it('drops the state of parameters the loaded state does not hold', async () => {
    const params = [
      { name: 'a', variable: tf.variable(tf.tensor([1, 2])) },
      { name: 'b', variable: tf.variable(tf.tensor([3, 4])) },
    ];
    const opt = createOptimizer(parseOptimizerConfig({ name: 'rmsprop', lr: 0.01 }), params);
    const g = tf.tensor([1, 1]);
    opt.step(new Map([['a', g]]), 0.01);
    const onlyA = await opt.saveState();
    opt.step(new Map([['a', g], ['b', g]]), 0.01);
    g.dispose();
    const n = tf.memory().numTensors;
    opt.loadState(onlyA);
    expect(tf.memory().numTensors).toBe(n - 1);
    expect(await opt.saveState()).toEqual(onlyA);
    opt.dispose();
    params.forEach((p) => p.variable.dispose());
  });
});

describe('loadState refuses a bad state and changes nothing', () => {
  const cfg = parseOptimizerConfig({ name: 'adam', lr: 0.01 });
  const setup = async () => {
    const params = [
      { name: 'generator.weight', variable: tf.variable(tf.randomNormal([4, 4], 0, 1, 'float32', 1)) },
      { name: 'generator.bias', variable: tf.variable(tf.zeros([4])) },
    ];
    const opt = createOptimizer(cfg, params);
    const grads = new Map(params.map((p) => [p.name, tf.onesLike(p.variable)]));
    opt.step(grads, 0.01);
    opt.step(grads, 0.01);
    grads.forEach((g) => g.dispose());
    return { params, opt, good: await opt.saveState() };
  };
  const w = '["generator.weight"]';

  type Edit = (s: OptimizerState & Record<string, unknown>) => unknown;
  const slotOf = (s: OptimizerState, param: string, slot: string) => {
    const t = s.slots[param]?.[slot];
    if (!t) throw new Error(`no ${param}.${slot}`);
    return t;
  };
  const bad: [string, Edit, string][] = [
    ['a slot of the wrong shape', (s) => { slotOf(s, 'generator.weight', 'exp_avg').shape = [3, 4]; },
      `optimizerState.slots${w}.exp_avg: shape [3,4] does not match [4,4]`],
    ['a step slot that is not a scalar', (s) => { slotOf(s, 'generator.weight', 'step').shape = [1]; },
      `optimizerState.slots${w}.step: shape [1] does not match []`],
    ['another optimizer', (s) => { s.name = 'adamw'; }, 'optimizerState.name: "adamw" does not match this optimizer ("adam")'],
    ['an unknown parameter', (s) => { s.slots['encoder.x'] = s.slots['generator.bias'] ?? {}; },
      'optimizerState.slots["encoder.x"]: no such parameter in this optimizer'],
    ['an unknown slot', (s) => { (s.slots['generator.bias'] ?? {}).momentum_buffer = slotOf(s, 'generator.bias', 'exp_avg'); },
      'optimizerState.slots["generator.bias"].momentum_buffer: not a slot of adam (expected exp_avg, exp_avg_sq, step)'],
    ['a missing slot', (s) => { delete s.slots['generator.weight']?.exp_avg_sq; }, `optimizerState.slots${w}.exp_avg_sq: is missing`],
    ['too few values', (s) => { slotOf(s, 'generator.weight', 'exp_avg').base64 = encodeFloat32Base64(new Float32Array(15)); },
      `optimizerState.slots${w}.exp_avg: holds 15 values, shape [4,4] needs 16`],
    ['bytes that are not float32s', (s) => { slotOf(s, 'generator.weight', 'exp_avg').base64 = 'AAAA'; },
      `optimizerState.slots${w}.exp_avg: invalid float32 data: decodes to 3 bytes, which is not a multiple of 4`],
    ['text that is not base64', (s) => { slotOf(s, 'generator.weight', 'exp_avg').base64 = 'not base64!'; },
      `optimizerState.slots${w}.exp_avg: invalid base64: length 11 is not a multiple of 4 (base64 text is written in padded groups of 4 characters)`],
    ['a NaN', (s) => { slotOf(s, 'generator.weight', 'exp_avg').base64 = encodeFloat32Base64(new Float32Array(16).fill(0).map((_, i) => (i === 3 ? NaN : 0))); },
      `optimizerState.slots${w}.exp_avg: value 3 is not finite (NaN)`],
    ['an infinity', (s) => { slotOf(s, 'generator.bias', 'exp_avg').base64 = encodeFloat32Base64(Float32Array.of(0, Infinity, 0, 0)); },
      'optimizerState.slots["generator.bias"].exp_avg: value 1 is not finite (Infinity)'],
    ['a negative second moment', (s) => { slotOf(s, 'generator.bias', 'exp_avg_sq').base64 = encodeFloat32Base64(Float32Array.of(0, 0, -1, 0)); },
      'optimizerState.slots["generator.bias"].exp_avg_sq: value 2 is negative (-1), a sum of squares cannot be'],
    ['a fractional step count', (s) => { slotOf(s, 'generator.bias', 'step').base64 = encodeFloat32Base64(Float32Array.of(1.5)); },
      'optimizerState.slots["generator.bias"].step: must be a whole number of steps (got 1.5)'],
    ['a slot that is not a tensor', (s) => { (s.slots['generator.bias'] ?? {}).exp_avg = [1, 2, 3, 4] as never; },
      'optimizerState.slots["generator.bias"].exp_avg: must be {shape: number[], base64: string}'],
    ['a parameter that is not a record of slots', (s) => { s.slots['generator.bias'] = 'x' as never; },
      'optimizerState.slots["generator.bias"]: must be an object of slots (exp_avg, exp_avg_sq, step)'],
    ['a negative step', (s) => { s.step = -1; }, 'optimizerState.step: must be an integer ≥ 0 (got -1)'],
    ['no slots', (s) => { delete (s as Partial<OptimizerState>).slots; }, 'optimizerState.slots: must be an object of parameter names'],
    ['an unknown field', (s) => { s.extra = 1; }, 'optimizerState: unknown field "extra"'],
    ['not an object', () => null, 'optimizerState: must be an object with name, step and slots'],
    ['an array', () => [], 'optimizerState: must be an object with name, step and slots'],
    ['another optimizer, whatever else is wrong', (s) => { s.name = 'sgd'; slotOf(s, 'generator.weight', 'exp_avg').shape = [4]; },
      'optimizerState.name: "sgd" does not match this optimizer ("adam")'],
    ['several faults', (s) => { s.step = 1.5; slotOf(s, 'generator.weight', 'exp_avg').shape = [4]; delete s.slots['generator.bias']?.step; },
      ['optimizerState.step: must be an integer ≥ 0 (got 1.5)', `optimizerState.slots${w}.exp_avg: shape [4] does not match [4,4]`,
        'optimizerState.slots["generator.bias"].step: is missing'].join('\n')],
  ];

  it.each(bad)('%s', async (_what, edit, message) => {
    const { params, opt, good } = await setup();
    const state = structuredClone(good) as OptimizerState & Record<string, unknown>;
    const edited = edit(state);
    const input = edited === undefined ? state : edited;
    const tensors = tf.memory().numTensors;
    const weights = params.map((p) => p.variable.dataSync().slice());
    let error: unknown;
    try {
      opt.loadState(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(message);
    expect(await opt.saveState()).toEqual(good);
    expect(opt.stepCount).toBe(2);
    expect(tf.memory().numTensors).toBe(tensors);
    params.forEach((p, i) => expect(p.variable.dataSync()).toEqual(weights[i]));
    opt.dispose();
    params.forEach((p) => p.variable.dispose());
  });

  it('is refused by a disposed optimizer', async () => {
    const { params, opt, good } = await setup();
    opt.dispose();
    expect(() => opt.loadState(good)).toThrow('adam optimizer is disposed');
    params.forEach((p) => p.variable.dispose());
  });
});
