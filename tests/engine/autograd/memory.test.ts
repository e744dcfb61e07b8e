import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runnerFor } from '../../../src/engine/autograd/checkpoint';
import type { ModelConfig } from '../../../src/engine/config';
import type { ForwardContext } from '../../../src/engine/model/context';
import { TransformerModel } from '../../../src/engine/model/model';
import { precisionPolicy, type Checkpointing, type Precision } from '../../../src/engine/precision/policy';
import { lossAndGrads, type HostBatch } from '../../../src/engine/train/gradients';
import { NODE_BACKENDS, onBackend, onSwiftShader } from '../../helpers/backends';
import { modelConfig, randomBatch, trainingContexts, type Size } from './models';

/** Activations dominate here: 4 + 4 layers of width 64 over 32 rows of 24 tokens, 0.34 M parameters. */
const SIZE: Size = { layers: 4, dModel: 64, nHeads: 4, dFF: 128, vocab: 16, maxLen: 32 };
/** The same, 6 + 6 layers deep: 12 segment boundaries. */
const DEEP: Size = { ...SIZE, layers: 6 };
const MiB = 2 ** 20;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;

/** An identity op whose gradient calls `onBackward` (its output aliases x: probe small tensors only). */
function probe(x: tf.Tensor, onBackward: () => void): tf.Tensor {
  return tf.customGrad((input, _save) => ({
    value: tf.clone(input as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      onBackward();
      return dy as tf.Tensor;
    },
  }))(x);
}

/**
 * Training contexts that note the live bytes when the backward pass reaches the generator's
 * matmul, the forward's last op before the loss: what the forward kept for the backward.
 */
function watchedContexts(cfg: ModelConfig, batch: HostBatch) {
  let atBackward: number | null = null;
  const contexts = (micro: number): ForwardContext => {
    const inner = trainingContexts(cfg, 0, [batch])(micro);
    return {
      ...inner,
      matMul: (a, b, ta, tb) => {
        const y = inner.matMul(a, b, ta, tb);
        const generator = b.rank === 2 && b.shape[0] === cfg.tgtVocabSize && b.shape[1] === cfg.dModel;
        return generator ? probe(y, () => (atBackward ??= tf.memory().numBytes)) : y;
      },
    };
  };
  return { contexts, atBackward: () => atBackward! };
}

interface Measured {
  /** tf.profile's peak bytes of one lossAndGrads call. */
  peak: number;
  /** The peak less the bytes live before the call. */
  aboveStart: number;
  /** Bytes the forward kept for the backward (live at the start of the backward, less those before). */
  kept: number;
}

async function measure(model: TransformerModel, cfg: ModelConfig, mode: Checkpointing, storage: Precision, rows = 32): Promise<Measured> {
  const batch = randomBatch(cfg, 'encoder-decoder', rows, 24, 9);
  const watch = watchedContexts(cfg, batch);
  const before = tf.memory();
  const profile = await tf.profile(() => {
    const { loss, grads } = lossAndGrads(model, [batch], watch.contexts, runnerFor(precisionPolicy({ checkpointing: mode, precision: storage })));
    tf.dispose([loss, ...grads.values()]);
  });
  expect(tf.memory().numTensors, `tensors left by checkpointing ${mode}, ${storage} boundaries`).toBe(before.numTensors);
  return { peak: profile.peakBytes, aboveStart: profile.peakBytes - before.numBytes, kept: watch.atBackward() - before.numBytes };
}

/**
 * Median wall time of lossAndGrads (loss read back) under each setting, the settings taking
 * turns round after round so that a busy machine slows them alike; one warm-up round first.
 */
async function medianMs(
  model: TransformerModel,
  cfg: ModelConfig,
  settings: [Checkpointing, Precision][],
  rounds = 5,
): Promise<number[]> {
  const batch = randomBatch(cfg, 'encoder-decoder', 32, 24, 9);
  const times: number[][] = settings.map(() => []);
  for (let round = 0; round <= rounds; round++) {
    for (const [i, [mode, storage]] of settings.entries()) {
      const t0 = performance.now();
      const { loss, grads } = lossAndGrads(model, [batch], trainingContexts(cfg, 0, [batch]), runnerFor(precisionPolicy({ checkpointing: mode, precision: storage })));
      await loss.data();
      tf.dispose([loss, ...grads.values()]);
      if (round > 0) times[i]!.push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

describe.each(NODE_BACKENDS)('memory of checkpointed training on %s', (backend) => {
  it('one segment per layer lowers the peak of a gradient step, and leaks nothing', async () => {
    await onBackend(backend);
    // SwiftShader takes minutes here (tf.profile reads every kernel's time back there): 2 + 2
    // layers over 8 rows, where activations still outweigh the weights many times over.
    const small = onSwiftShader();
    const cfg = modelConfig('encoder-decoder', true, small ? { ...SIZE, layers: 2 } : SIZE);
    const model = TransformerModel.initialise(cfg, 5);
    try {
      const rows = small ? 8 : 32;
      const plain = await measure(model, cfg, 'none', 'fp32', rows);
      const layers = await measure(model, cfg, 'layers', 'fp32', rows);
      const ratio = layers.peak / plain.peak;
      const fmt = (p: Measured) => `${mib(p.peak)} (${mib(p.aboveStart)} above start)`;
      console.log(
        `[${backend}] peak bytes of lossAndGrads (${rows} rows): none ${fmt(plain)}, layers ${fmt(layers)}; ` +
          `ratio layers/none ${ratio.toFixed(3)} (above start ${(layers.aboveStart / plain.aboveStart).toFixed(3)})`,
      );
      expect(ratio).toBeLessThanOrEqual(0.8);
    } finally {
      model.dispose();
    }
  }, 300_000);
});

// Logical byte counts are the same on every backend; the timings are wasm's (the fast CPU path).
describe('memory of half-size segment boundaries on wasm', () => {
  it('fp16 / bf16 boundaries halve what the forward keeps for them, and lower the peak by as much', async () => {
    await onBackend('wasm');
    const cfg = modelConfig('encoder-decoder', true, DEEP);
    const model = TransformerModel.initialise(cfg, 5);
    try {
      const plain = await measure(model, cfg, 'none', 'fp32');
      const fp32 = await measure(model, cfg, 'layers', 'fp32');
      const fp16 = await measure(model, cfg, 'layers', 'fp16');
      const bf16 = await measure(model, cfg, 'layers', 'bf16');
      // 'none' under a half precision is 'layers' with packed boundaries.
      const noneFp16 = await measure(model, cfg, 'none', 'fp16');

      // One boundary per recomputed layer, the stacks' inputs included: every encoder layer's
      // [32, 25, d] and every decoder layer's [32, 24, d] but the last of each stack, which keeps its tape.
      const boundaryValues = 32 * (DEEP.layers - 1) * (25 + 24) * DEEP.dModel;
      const halfSaving = boundaryValues * 2; // 4 bytes a value → 2
      const [none, layers32, layers16] = await medianMs(model, cfg, [
        ['none', 'fp32'],
        ['layers', 'fp32'],
        ['layers', 'fp16'],
      ]);
      const ms = { none: none!, fp32: layers32!, fp16: layers16! };
      const r = (a: number, b: number) => (a / b).toFixed(3);
      console.log(
        `[wasm] 6+6 layers, d 64, batch 32×24: peak none ${mib(plain.peak)}, layers/fp32 ${mib(fp32.peak)}, ` +
          `layers/fp16 ${mib(fp16.peak)}, layers/bf16 ${mib(bf16.peak)}, none/fp16 ${mib(noneFp16.peak)}\n` +
          `  peak ratios: fp32-layers/none ${r(fp32.peak, plain.peak)}, fp16-layers/none ${r(fp16.peak, plain.peak)}, ` +
          `fp16-layers/fp32-layers ${r(fp16.peak, fp32.peak)} (above start ${r(fp16.aboveStart, fp32.aboveStart)})\n` +
          `  kept for the backward: none ${mib(plain.kept)}, layers/fp32 ${mib(fp32.kept)}, layers/fp16 ${mib(fp16.kept)} ` +
          `(ratio ${r(fp16.kept, fp32.kept)}); boundaries ${mib(2 * halfSaving)} at fp32, ${mib(halfSaving)} packed\n` +
          `  median step time: none ${ms.none.toFixed(0)} ms, layers/fp32 ${ms.fp32.toFixed(0)} ms, layers/fp16 ${ms.fp16.toFixed(0)} ms ` +
          `(ratios fp32-layers/none ${r(ms.fp32, ms.none)}, fp16-layers/none ${r(ms.fp16, ms.none)}, fp16/fp32 ${r(ms.fp16, ms.fp32)})`,
      );
      // Packing saves exactly half of every boundary's bytes in what the forward keeps…
      expect(fp32.kept - fp16.kept).toBe(halfSaving);
      expect(bf16.kept).toBe(fp16.kept);
      expect(noneFp16.peak).toBe(fp16.peak);
      // …and the peak, reached while a segment is recomputed with every boundary still kept,
      // falls by as much less the float32 copy that the recompute unpacks its boundary into.
      const unpacked = 4 * 32 * 25 * DEEP.dModel; // the largest boundary, at float32
      expect(fp32.peak - fp16.peak).toBeGreaterThanOrEqual(halfSaving - unpacked);
      expect(fp16.peak).toBeLessThan(fp32.peak);
      expect(fp16.peak / plain.peak).toBeLessThanOrEqual(0.2);
    } finally {
      model.dispose();
    }
  }, 400_000);
});
