import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchTensors } from '../../../src/engine/model/batchTensors';
import { createContext } from '../../../src/engine/model/context';
import { forwardLogits } from '../../../src/engine/model/forward';
import { meanTokenLoss } from '../../../src/engine/model/loss';
import { TransformerModel } from '../../../src/engine/model/model';
import { autocastMatMul, weightGradientFor } from '../../../src/engine/precision/autocast';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { modelConfig, randomBatch } from '../autograd/models';
import type { Architecture } from '../../../src/engine/config';
import { parseBatch } from '../../../src/engine/weights/batch';
import { parseWeights } from '../../../src/engine/weights/format';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';
import { fixtureNames, fixtureValues, maxAbsError, readFixture, type FixtureTensor } from '../../helpers/fixtures';
import { transformerConfig } from '../../../src/engine/modelKind';

interface AutocastCase {
  case: string;
  formats: Record<'fp16' | 'bf16', { loss: number; logits: FixtureTensor }>;
}

const CASES = fixtureNames('autocast');

describe.each(NODE_BACKENDS)('autocast forward against a PyTorch emulation of the same policy (%s)', (backend) => {
  it.each(CASES.flatMap((c) => (['fp16', 'bf16'] as const).map((f) => [c, f] as const)))('%s %s', async (name, format) => {
    await onBackend(backend);
    const fixture = readFixture<AutocastCase>('autocast', `${name}.json`);
    const parity = readFixture<{ weights: unknown; batch: unknown }>('parity', `${name}.json`);
    const weights = parseWeights(parity.weights);
    const config = transformerConfig(weights.config);
    const batch = parseBatch(parity.batch, config);
    const model = TransformerModel.fromValues(config, weights.tensors);
    const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul: autocastMatMul(format) });
    const { logits, loss } = tf.tidy(() => {
      const { tokens, targets } = batchTensors(batch);
      const l = forwardLogits(ctx, model.lookup, model.config, tokens);
      return { logits: l, loss: meanTokenLoss(l, targets) };
    });
    const want = fixture.formats[format];
    const [got, expected] = [await logits.data(), fixtureValues(want.logits)];
    // Bit for bit, except where a different fp32 summation order moves a product across a
    // rounding boundary of the half format: then one unit in its last place, no more.
    const identical = expected.filter((v, i) => v === got[i]).length / expected.length;
    expect(identical).toBeGreaterThan(0.97);
    const unit = 2 ** (Math.ceil(Math.log2(Math.max(...expected.map(Math.abs)))) - (format === 'fp16' ? 10 : 7));
    expect(maxAbsError(got, expected)).toBeLessThanOrEqual(unit);
    expect(Math.abs((await loss.data())[0]! - want.loss)).toBeLessThan(1e-4);
    tf.dispose([logits, loss]);
    model.dispose();
  });
});

describe.each(NODE_BACKENDS)('autocastMatMul gradients (%s)', (backend) => {
  // Small integers are exact in both half formats and their products sum exactly in fp32, so
  // the autocast op must agree with a plain matmul bit for bit, values and gradients.
  const ints = (shape: number[], seed: number) => tf.randomUniform(shape, -4, 5, 'int32', seed).cast('float32');

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('transposeA %s, transposeB %s', async (ta, tb) => {
    await onBackend(backend);
    const a = ta ? ints([2, 5, 3], 1) : ints([2, 3, 5], 1);
    const b = tb ? ints([2, 4, 5], 2) : ints([2, 5, 4], 2);
    const dy = ints([2, 3, 4], 3);
    const half = autocastMatMul('fp16');
    const grads = (mm: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => mm(x, y))([a, b], dy);
    const [want, got] = [grads((x, y) => tf.matMul(x, y, ta, tb)), grads((x, y) => half(x, y, ta, tb))];
    for (let i = 0; i < 2; i++) expect(Array.from(await got[i]!.data())).toEqual(Array.from(await want[i]!.data()));
    expect(Array.from(await half(a, b, ta, tb).data())).toEqual(Array.from(await tf.matMul(a, b, ta, tb).data()));
  });

  it('rounds operands, result and gradients to the half format', async () => {
    await onBackend(backend);
    const a = tf.tensor2d([[1 + 2 ** -11 + 2 ** -13]]); // rounds up to 1 + 2^-10 in fp16
    const b = tf.tensor2d([[1]]);
    expect((await autocastMatMul('fp16')(a, b).data())[0]).toBe(1 + 2 ** -10);
    expect((await autocastMatMul('bf16')(a, b).data())[0]).toBe(1);
    const [da] = tf.grads((x: tf.Tensor, y: tf.Tensor) => autocastMatMul('fp16')(x, y))([a, b], tf.tensor2d([[2 ** -26]]));
    expect((await da!.data())[0]).toBe(0); // below fp16's smallest subnormal: the underflow loss scaling prevents
  });
});

describe.each(NODE_BACKENDS)('weight gradients rounded once per step (%s)', (backend) => {
  // The step rounds the spec'd matmul weights' gradients after summing the micro-batches; with one
  // micro-batch that must be exactly autocast rounding every matmul's gradients at once, so a
  // Linear weight the specs do not mark, or a marked parameter that is not one, shows here.
  it.each(['encoder-decoder', 'decoder-only', 'encoder-only'] as Architecture[])('%s: one micro-batch gives the gradients of rounding in every matmul, bit for bit', async (arch) => {
    await onBackend(backend);
    const cfg = modelConfig(arch, false, undefined, { dropout: 0 });
    const model = TransformerModel.initialise(cfg, 2);
    const batch = randomBatch(cfg, arch, 3, 5, 4);
    const format = 'fp16';
    const once = () => createContext({ dropoutRate: 0, dropoutSeed: null, matMul: autocastMatMul(format), roundWeightGradient: weightGradientFor(format) });
    const everyMatMul = autocastMatMul(format);
    const inPlace = () => createContext({ dropoutRate: 0, dropoutSeed: null, matMul: (a, b, ta, tb) => everyMatMul(a, b, ta, tb) });
    const read = async (r: { loss: tf.Scalar; grads: Map<string, tf.Tensor> }) => {
      const out = new Map<string, number[]>();
      for (const [name, g] of r.grads) out.set(name, Array.from(await g.data()));
      tf.dispose([r.loss, ...r.grads.values()]);
      return out;
    };
    try {
      const [a, b] = [await read(lossAndGrads(model, [batch], once)), await read(lossAndGrads(model, [batch], inPlace))];
      for (const [name, want] of b) expect(a.get(name), name).toEqual(want);
    } finally {
      model.dispose();
    }
  });
});
