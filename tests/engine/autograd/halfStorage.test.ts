import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkpointRunner, runnerFor, segmentsOf } from '../../../src/engine/autograd/checkpoint';
import type { Architecture } from '../../../src/engine/config';
import { packHalf, packedLength, roundHalf, type HalfFormat } from '../../../src/engine/kernels/half';
import { runPlainly, type StackLayer, type StackRunner } from '../../../src/engine/model/forward';
import { TransformerModel } from '../../../src/engine/model/model';
import { precisionPolicy, type Precision } from '../../../src/engine/precision/policy';
import { lossAndGrads, type LossAndGrads } from '../../../src/engine/train/gradients';
import { NODE_BACKENDS, onBackend, onSwiftShader, timeLimit } from '../../helpers/backends';
import { relativeError } from '../../helpers/fixtures';
import { modelConfig, randomBatch, SMALL, trainingContexts } from './models';

// packHalf, watched: every call still runs the real kernel.
vi.mock('../../../src/engine/kernels/half', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/engine/kernels/half')>();
  return { ...real, packHalf: vi.fn(real.packHalf) };
});
const packSpy = vi.mocked(packHalf);
afterEach(() => packSpy.mockClear());

const FORMATS: HalfFormat[] = ['fp16', 'bf16'];
const ARCHITECTURES: Architecture[] = ['encoder-decoder', 'decoder-only', 'encoder-only'];
/** One segment per layer, segments of 2 over 3 layers (2 + 1), and one segment for the whole stack. */
const MODES: ('layers' | number)[] = ['layers', 2, SMALL.layers + 2];
const CASES = ARCHITECTURES.flatMap((arch) => [true, false].map((normFirst) => ({ arch, normFirst, norm: normFirst ? 'pre-LN' : 'post-LN' })));

async function read(result: LossAndGrads): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const loss = (await result.loss.data())[0]!;
  const grads = new Map<string, Float32Array>();
  for (const [name, g] of result.grads) grads.set(name, (await g.data()) as Float32Array);
  tf.dispose([result.loss, ...result.grads.values()]);
  return { loss, grads };
}

/**
 * The reference for half storage: the plain runner, with each segment's input rounded by
 * roundHalf (straight-through gradient) on the ordinary tape. No recompute.
 */
const roundingRunner =
  (mode: 'layers' | number, format: HalfFormat): StackRunner =>
  (layers, x, extras, p) =>
    segmentsOf(layers, mode === 'layers' ? 1 : mode).reduce((h, segment) => runPlainly(segment, roundHalf(h, format), extras, p), x);

describe('boundary storage settings', () => {
  it('"none" under fp32 runs the stack plainly', () => {
    expect(runnerFor(precisionPolicy({ checkpointing: 'none', precision: 'fp32' }))).toBe(runPlainly);
    expect(runnerFor(precisionPolicy({ checkpointing: 'layers', precision: 'fp16' }))).not.toBe(runPlainly);
  });

  it('"none" with a half storage recomputes per layer, since half-size storage needs a recompute', () => {
    expect(runnerFor(precisionPolicy({ checkpointing: 'none', precision: 'fp16' }))).not.toBe(runPlainly);
    expect(runnerFor(precisionPolicy({ checkpointing: 'none', precision: 'bf16' }))).not.toBe(runPlainly);
  });

  it('refuses an unknown storage', () => {
    expect(() => checkpointRunner('layers', 'fp8' as Precision)).toThrow(/'fp32', 'fp16' or 'bf16'/);
    expect(() => runnerFor(precisionPolicy({ checkpointing: 'none', precision: 'half' as Precision }))).toThrow(/'fp32', 'fp16' or 'bf16'/);
  });
});

/** Layers y = x·w_i + extra over [3, 5] tensors (15 elements: an odd count, 8 packed words), keeping a copy of each layer's input (read later: no dataSync). */
function toyLayers(n: number, inputs: tf.Tensor[]): StackLayer[] {
  return Array.from({ length: n }, (_, i) => ({
    prefix: `l${i}`,
    paramNames: [`w${i}`],
    apply: (p, x, [extra]) => {
      inputs.push(tf.keep(x.clone()));
      return x.mul(p(`w${i}`)).add(extra!);
    },
  }));
}

describe.each(NODE_BACKENDS)('packed boundaries of toy layers on %s', (backend) => {
  const SHAPE = [3, 5];
  const N = 15;
  const LAYERS = 4;
  const x0 = () => tf.tensor2d(Array.from({ length: N }, (_, i) => (i + 1) / 3 - 2.05), SHAPE as [number, number]);
  const extra0 = () => tf.tensor2d(Array.from({ length: N }, (_, i) => 0.1 * i + 1 / 7), SHAPE as [number, number]);
  const ws0 = () => [1.3, -0.7, 0.9, 1.1].map((w) => tf.scalar(w + 1 / 9));

  /** Bytes the engine holds once the stack's forward is done, over those before it, and the gradients. */
  async function forwardBytes(storage: Precision, format?: HalfFormat) {
    await onBackend(backend);
    const kept: tf.Tensor[] = [];
    const layers = toyLayers(LAYERS, kept);
    const run = storage === 'fp32' && format ? roundingRunner('layers', format) : checkpointRunner('layers', storage);
    const [x, e, ...ws] = [x0(), extra0(), ...ws0()];
    const before = tf.memory().numTensors;
    let held = -1;
    const { value, grads } = tf.engine().gradients(
      () => {
        const start = tf.memory().numBytes;
        // Every segment but the last keeps its boundary and is recomputed; the last keeps its tape.
        const y = run(layers, x, [e], (name) => ws[Number(name.slice(1))]!);
        held = tf.memory().numBytes - start - kept.reduce((n, t) => n + 4 * t.size, 0); // less the test's own copies
        return y.sum() as tf.Scalar;
      },
      [x, e, ...ws],
      undefined,
      true,
    );
    const values = await Promise.all(grads.map(async (g) => Array.from(await g.data())));
    const seen = await Promise.all(kept.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([value, ...grads, ...kept]);
    expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
    tf.dispose([x, e, ...ws]);
    return { held, values, seen };
  }

  it.each(FORMATS)('%s: each boundary is kept as an int32 tensor of ceil(n/2) elements, and nothing else is', async (format) => {
    const fp32 = await forwardBytes('fp32');
    expect(packSpy).not.toHaveBeenCalled();
    const packed = await forwardBytes(format);
    // Forward only: one packHalf per segment (the last one's only rounds its input), none in the recompute.
    expect(packSpy).toHaveBeenCalledTimes(LAYERS);
    for (const [i, call] of packSpy.mock.calls.entries()) {
      expect(call[0].shape, `input of packHalf call ${i}`).toEqual(SHAPE);
      expect(call[1]).toBe(format);
      const out = packSpy.mock.results[i]!.value as tf.Tensor;
      expect(out.dtype).toBe('int32');
      expect(out.size).toBe(packedLength(N));
    }
    // What the forward leaves for the backward: the boundaries of the 3 recomputed segments, the
    // engine's copies of the extra and the 4 scalar weights, the output, and the last segment's
    // tape, the same under either storage: the copies its ops save (the multiply its input and
    // weight, the add both its inputs).
    const others = 4 * N + 4 * LAYERS + 4 * N;
    const tape = 4 * N + 4 + 2 * 4 * N;
    expect(fp32.held).toBe((LAYERS - 1) * 4 * N + tape + others);
    expect(packed.held).toBe((LAYERS - 1) * 4 * packedLength(N) + tape + others);
    console.log(`[${backend}] toy stack, ${LAYERS} boundaries of ${N} values: ${fp32.held} bytes held with fp32 boundaries, ${packed.held} with ${format}`);
  });

  it.each(FORMATS)('%s: the forward and the recompute see rounded inputs; gradients match a rounding plain run', async (format) => {
    const packed = await forwardBytes(format);
    const reference = await forwardBytes('fp32', format);
    // 4 forward calls then 3 recomputes (the last layer keeps its tape) with the very same inputs.
    expect(packed.seen).toHaveLength(2 * LAYERS - 1);
    const forward = packed.seen.slice(0, LAYERS);
    const recompute = packed.seen.slice(LAYERS).reverse();
    recompute.forEach((r, i) => expect(Array.from(r), `recomputed input of l${i}`).toEqual(Array.from(forward[i]!)));
    expect(forward.map((f) => Array.from(f))).toEqual(reference.seen.map((f) => Array.from(f)));
    const t = x0();
    const r = roundHalf(t, format);
    const [x, rounded] = [await t.data(), await r.data()];
    tf.dispose([t, r]);
    expect(Array.from(forward[0]!)).toEqual(Array.from(rounded!));
    expect(Array.from(forward[0]!)).not.toEqual(Array.from(x!));
    packed.values.forEach((g, i) => expect(relativeError(g, reference.values[i]!), `gradient of input ${i}`).toBeLessThan(1e-6));
  });
});

describe.each(NODE_BACKENDS)('Transformer gradients with half-size boundaries on %s', (backend) => {
  it.each(CASES)('$arch $norm: equal a plain run that rounds every segment input, dropout on', async ({ arch, normFirst, norm }) => {
    await onBackend(backend);
    const cfg = modelConfig(arch, normFirst, SMALL, normFirst ? {} : { activation: 'gelu', positional: 'learned' });
    const model = TransformerModel.initialise(cfg, 3);
    const micro = [randomBatch(cfg, arch, 4, 6, 1), randomBatch(cfg, arch, 3, 5, 2)];
    try {
      const before = tf.memory().numTensors;
      const fp32 = await read(lossAndGrads(model, micro, trainingContexts(cfg, 0, micro), runPlainly));
      const report: string[] = [];
      // SwiftShader runs these in tens of seconds: there each case takes one format, fp16 with
      // pre-LN and bf16 with post-LN, so every architecture still meets both.
      const formats = onSwiftShader() ? [normFirst ? 'fp16' : 'bf16'] as const : FORMATS;
      for (const format of formats) {
        for (const mode of MODES) {
          const want = await read(lossAndGrads(model, micro, trainingContexts(cfg, 0, micro), roundingRunner(mode, format)));
          const got = await read(lossAndGrads(model, micro, trainingContexts(cfg, 0, micro), checkpointRunner(mode, format)));
          const what = `${format} boundaries, checkpointing ${mode}`;
          expect(got.loss, `loss with ${what}`).toBe(want.loss);
          expect(got.loss, `loss with ${what} vs fp32`).not.toBe(fp32.loss); // the rounding shows
          expect([...got.grads.keys()]).toEqual([...want.grads.keys()]);
          let worst = 0;
          let offFp32 = 0;
          for (const [name, w] of want.grads) {
            const g = got.grads.get(name)!;
            const err = relativeError(g, w);
            worst = Math.max(worst, err);
            offFp32 = Math.max(offFp32, relativeError(g, fp32.grads.get(name)!));
            expect(err, `${what}: gradient of ${name}`).toBeLessThan(1e-6);
            expect(
              g.some((v) => v !== 0),
              `${what}: ${name} has a zero gradient`,
            ).toBe(true);
          }
          report.push(`${format}/${mode}: ${worst.toExponential(2)} (vs fp32 ${offFp32.toExponential(2)})`);
        }
        // 'none' with half storage is one segment per layer.
        const none = await read(lossAndGrads(model, micro, trainingContexts(cfg, 0, micro), runnerFor(precisionPolicy({ checkpointing: 'none', precision: format }))));
        const layers = await read(lossAndGrads(model, micro, trainingContexts(cfg, 0, micro), runnerFor(precisionPolicy({ checkpointing: 'layers', precision: format }))));
        expect(none.loss).toBe(layers.loss);
        for (const [name, g] of layers.grads) expect(Array.from(none.grads.get(name)!), name).toEqual(Array.from(g));
      }
      console.log(`[${backend}] ${arch} ${norm}: worst relative gradient error vs rounding plain run: ${report.join('; ')}`);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  }, timeLimit(backend));
});
