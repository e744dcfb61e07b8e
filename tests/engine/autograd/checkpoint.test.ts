import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkpointRunner, runnerFor, segmentsOf } from '../../../src/engine/autograd/checkpoint';
import type { Architecture } from '../../../src/engine/config';
import { seededDropout, siteRowKeys, type ForwardContext } from '../../../src/engine/model/context';
import { runPlainly, type StackLayer } from '../../../src/engine/model/forward';
import { TransformerModel } from '../../../src/engine/model/model';
import { precisionPolicy, type Checkpointing } from '../../../src/engine/precision/policy';
import { lossAndGrads, type LossAndGrads } from '../../../src/engine/train/gradients';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';
import { relativeError } from '../../helpers/fixtures';
import { modelConfig, randomBatch, SMALL, trainingContexts } from './models';

const ARCHITECTURES: Architecture[] = ['encoder-decoder', 'decoder-only', 'encoder-only'];
/** One segment per layer, segments of 2 over 3 layers (2 + 1), and one segment for the whole stack. */
const MODES: Checkpointing[] = ['layers', 2, SMALL.layers + 2];

const CASES = ARCHITECTURES.flatMap((arch) => [true, false].map((normFirst) => ({ arch, normFirst, norm: normFirst ? 'pre-LN' : 'post-LN' })));

async function read(result: LossAndGrads): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const loss = (await result.loss.data())[0]!;
  const grads = new Map<string, Float32Array>();
  for (const [name, g] of result.grads) grads.set(name, (await g.data()) as Float32Array);
  tf.dispose([result.loss, ...result.grads.values()]);
  return { loss, grads };
}

describe('segments', () => {
  it('groups n consecutive layers, the last group shorter', () => {
    expect(segmentsOf([0, 1, 2, 3, 4], 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(segmentsOf([0, 1, 2], 1)).toEqual([[0], [1], [2]]);
    expect(segmentsOf([0, 1, 2], 7)).toEqual([[0, 1, 2]]);
    expect(segmentsOf([], 2)).toEqual([]);
  });

  it('refuses a segment size that is not a whole number ≥ 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => checkpointRunner(bad)).toThrow(/whole number of layers/);
  });

  it('"none" runs the stack plainly', () => {
    expect(runnerFor(precisionPolicy({ checkpointing: 'none', precision: 'fp32' }))).toBe(runPlainly);
  });
});

/** Layers y = x·w_i + extra, logging every run, to see which layers each segment runs and recomputes. */
function toyLayers(n: number, log: string[], readUndeclared = false): StackLayer[] {
  return Array.from({ length: n }, (_, i) => ({
    prefix: `l${i}`,
    paramNames: [`w${i}`],
    apply: (p, x, [extra]) => {
      log.push(`l${i}`);
      const y = x.mul(p(`w${i}`)).add(extra!);
      return readUndeclared ? y.add(p(`w${(i + 1) % n}`)) : y;
    },
  }));
}

describe.each(NODE_BACKENDS)('checkpointed segments of toy layers on %s', (backend) => {
  it('runs each segment once forward and recomputes it once backward, last first, but the last keeps its tape', async () => {
    await onBackend(backend);
    const ws = [2, 3, 4, 5, 6].map((w) => tf.scalar(w));
    const log: string[] = [];
    const layers = toyLayers(5, log);
    const extra = tf.scalar(1);
    const run = checkpointRunner(2);
    const before = tf.memory().numTensors;
    const f = (x: tf.Tensor, e: tf.Tensor, ...w: tf.Tensor[]) => run(layers, x, [e], (name) => w[Number(name.slice(1))]!);
    const grads = tf.grads(f)([tf.scalar(1), extra, ...ws]);
    expect(log).toEqual(['l0', 'l1', 'l2', 'l3', 'l4', 'l2', 'l3', 'l0', 'l1']);
    // y = ((((x·2+e)·3+e)·4+e)·5+e)·6+e at x = e = 1
    const values = await Promise.all(grads.map(async (g) => (await g.data())[0]!));
    const h = [1, 3, 10, 41, 206, 1237]; // h_i: input of layer i, h_5 = y
    const dw = [0, 1, 2, 3, 4].map((i) => h[i]! * [3, 4, 5, 6, 1].slice(i).reduce((a, b) => a * b, 1));
    expect(values).toEqual([720, 1 + 6 + 30 + 120 + 360, ...dw]);
    tf.dispose(grads);
    // Nothing of the forward's tape, the boundaries or the recompute is left behind (x is the one input made here).
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([extra, ...ws]);
  });

  it('looks parameters up among its own inputs only', async () => {
    await onBackend(backend);
    const layers = toyLayers(2, [], true);
    const w = [tf.scalar(2), tf.scalar(3)];
    const outer = (name: string) => w[Number(name.slice(1))]!;
    expect(() => tf.tidy(() => checkpointRunner('layers')(layers, tf.scalar(1), [tf.scalar(0)], outer))).toThrow(
      'w1 is read by the checkpointed segment [l0] but is not among its layers\' paramNames',
    );
    tf.dispose(w);
  });
});

describe.each(NODE_BACKENDS)('unusual stacks on %s', (backend) => {
  const values = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

  it('a parameter read by layers of several segments gets the sum of their gradients', async () => {
    await onBackend(backend);
    const shared: StackLayer[] = [0, 1, 2].map((i) => ({ prefix: `l${i}`, paramNames: ['w'], apply: (p, x, [e]) => x.mul(p('w')).add(e!) }));
    const before = tf.memory().numTensors;
    const [x, e, w] = [tf.tensor1d([1, -2]), tf.tensor1d([0.5, 0.25]), tf.scalar(3)];
    const gradsOf = (run: typeof runPlainly) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => run(shared, a, [b], () => c).sum())([x, e, w]);
    const plain = gradsOf(runPlainly);
    for (const run of [checkpointRunner('layers'), checkpointRunner(2)]) {
      const got = gradsOf(run);
      expect(await values(got)).toEqual(await values(plain));
      tf.dispose(got);
    }
    tf.dispose([...plain, x, e, w]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a layer that returns its input unchanged, and an empty stack, are handled', async () => {
    await onBackend(backend);
    const layers: StackLayer[] = [
      { prefix: 'id0', paramNames: [], apply: (_p, x) => x },
      { prefix: 'mul', paramNames: ['w'], apply: (p, x) => x.mul(p('w')) },
      { prefix: 'id1', paramNames: [], apply: (_p, x) => x },
    ];
    const before = tf.memory().numTensors;
    const [x, w] = [tf.tensor1d([1, -2]), tf.scalar(3)];
    for (const storage of ['fp32', 'fp16'] as const) {
      const run = checkpointRunner('layers', storage);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => run(layers, a, [], () => b).sum())([x, w]);
      expect(await values(grads)).toEqual([[3, 3], [-1]]);
      tf.dispose(grads);
      const empty = tf.grads((a: tf.Tensor) => run([], a, [], () => w).sum())([x]);
      expect(await values(empty)).toEqual([[1, 1]]);
      tf.dispose(empty);
    }
    tf.dispose([x, w]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each(NODE_BACKENDS)('checkpointed Transformer gradients on %s', (backend) => {
  it.each(CASES)('$arch $norm: every mode gives the plain loss and gradients, dropout on', async ({ arch, normFirst, norm }) => {
    await onBackend(backend);
    const cfg = modelConfig(arch, normFirst, SMALL, normFirst ? {} : { activation: 'gelu', positional: 'learned' });
    const model = TransformerModel.initialise(cfg, 3);
    const micro = [randomBatch(cfg, arch, 4, 6, 1), randomBatch(cfg, arch, 3, 5, 2)];
    try {
      const before = tf.memory().numTensors;
      const plain = await read(lossAndGrads(model, micro, trainingContexts(cfg, 0, micro), runPlainly));
      const report: string[] = [];
      for (const mode of MODES) {
        const ck = await read(lossAndGrads(model, micro, trainingContexts(cfg, 0, micro), runnerFor(precisionPolicy({ checkpointing: mode, precision: 'fp32' }))));
        expect(ck.loss, `loss with checkpointing ${mode}`).toBe(plain.loss);
        expect([...ck.grads.keys()]).toEqual([...plain.grads.keys()]);
        expect(ck.grads.size).toBe(model.specs.length);
        let worst = 0;
        for (const [name, want] of plain.grads) {
          const got = ck.grads.get(name)!;
          const err = relativeError(got, want);
          worst = Math.max(worst, err);
          expect(err, `${mode}: gradient of ${name}`).toBeLessThan(1e-6);
          expect(
            got.some((v) => v !== 0),
            `${mode}: ${name} has a zero gradient`,
          ).toBe(true);
        }
        report.push(`${mode}: worst relative gradient error ${worst.toExponential(2)}`);
      }
      console.log(`[${backend}] ${arch} ${norm}: ${report.join('; ')}`);

      // The masks matter: another step draws other masks and gives another loss.
      const other = await read(lossAndGrads(model, micro, trainingContexts(cfg, 1, micro), runnerFor(precisionPolicy({ checkpointing: 'layers', precision: 'fp32' }))));
      expect(other.loss).not.toBe(plain.loss);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });

  it('a recompute that drew new dropout masks would be caught: the gradients then disagree', async () => {
    await onBackend(backend);
    const cfg = modelConfig('decoder-only', true);
    const model = TransformerModel.initialise(cfg, 3);
    const micro = [randomBatch(cfg, 'decoder-only', 4, 6, 1)];
    // Like createContext's, except that every call draws a fresh mask, recomputes included.
    const forgetful = (): ForwardContext => {
      let calls = 0;
      return {
        training: true,
        matMul: (a, b, ta, tb) => tf.matMul(a, b, ta, tb),
        dropout: (x, site) => {
          const fresh = calls++;
          return seededDropout(x, cfg.dropout, siteRowKeys({ seed: 7, step: 0, firstRow: 0 }, site, x.shape[0]!).map((k) => k + fresh));
        },
      };
    };
    try {
      const plain = await read(lossAndGrads(model, micro, forgetful, runPlainly));
      const ck = await read(lossAndGrads(model, micro, forgetful, runnerFor(precisionPolicy({ checkpointing: 'layers', precision: 'fp32' }))));
      expect(ck.loss).toBe(plain.loss); // the forward draws in the same order
      const worst = Math.max(...[...plain.grads].map(([name, want]) => relativeError(ck.grads.get(name)!, want)));
      expect(worst).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });
});
