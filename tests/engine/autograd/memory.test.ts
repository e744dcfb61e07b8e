import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runnerFor, type Checkpointing } from '../../../src/engine/autograd/checkpoint';
import { TransformerModel } from '../../../src/engine/model/model';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';
import { modelConfig, randomBatch, trainingContexts } from './models';

/** Activations dominate here: 4 + 4 layers of width 64 over 32 rows of 24 tokens, 0.34 M parameters. */
const SIZE = { layers: 4, dModel: 64, nHeads: 4, dFF: 128, vocab: 16, maxLen: 32 };
const MiB = 2 ** 20;

describe.each(NODE_BACKENDS)('memory of checkpointed training on %s', (backend) => {
  it('one segment per layer lowers the peak of a gradient step, and leaks nothing', async () => {
    await onBackend(backend);
    const cfg = modelConfig('encoder-decoder', true, SIZE);
    const model = TransformerModel.initialise(cfg, 5);
    const batch = randomBatch(cfg, 'encoder-decoder', 32, 24, 9);
    try {
      const peak = async (mode: Checkpointing) => {
        const before = tf.memory();
        const profile = await tf.profile(() => {
          const { loss, grads } = lossAndGrads(model, [batch], trainingContexts(cfg, 0), runnerFor(mode));
          tf.dispose([loss, ...grads.values()]);
        });
        expect(tf.memory().numTensors, `tensors left by checkpointing ${mode}`).toBe(before.numTensors);
        return { total: profile.peakBytes, aboveStart: profile.peakBytes - before.numBytes };
      };
      const plain = await peak('none');
      const layers = await peak('layers');
      const ratio = layers.total / plain.total;
      const fmt = (p: { total: number; aboveStart: number }) => `${(p.total / MiB).toFixed(1)} MiB (${(p.aboveStart / MiB).toFixed(1)} above start)`;
      console.log(
        `[${backend}] peak bytes of lossAndGrads: none ${fmt(plain)}, layers ${fmt(layers)}; ` +
          `ratio layers/none ${ratio.toFixed(3)} (above start ${(layers.aboveStart / plain.aboveStart).toFixed(3)})`,
      );
      expect(ratio).toBeLessThanOrEqual(0.8);
    } finally {
      model.dispose();
    }
  }, 120_000);
});
