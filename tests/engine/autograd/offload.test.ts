import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkpointRunner } from '../../../src/engine/autograd/checkpoint';
import { HostBoundaries, offloadRunner } from '../../../src/engine/autograd/offload';
import type { Architecture } from '../../../src/engine/config';
import { TransformerModel } from '../../../src/engine/model/model';
import type { Precision } from '../../../src/engine/precision/policy';
import { lossAndGrads, offloadedLossAndGrads, type LossAndGrads } from '../../../src/engine/train/gradients';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';
import { modelConfig, randomBatch, SMALL, trainingContexts } from './models';

const ARCHITECTURES: Architecture[] = ['encoder-decoder', 'decoder-only', 'encoder-only'];

async function read(result: LossAndGrads): Promise<{ loss: number; grads: Record<string, number[]> }> {
  const loss = (await result.loss.data())[0]!;
  const grads: Record<string, number[]> = {};
  for (const [name, g] of result.grads) grads[name] = Array.from(await g.data());
  tf.dispose([result.loss, ...result.grads.values()]);
  return { loss, grads };
}

describe.each(NODE_BACKENDS)('activation offloading on %s', (backend) => {
  it.each(ARCHITECTURES.flatMap((arch) => (['fp32', 'fp16'] as Precision[]).map((storage) => ({ arch, storage }))))(
    '$arch, $storage boundaries: the gradients of checkpointing alone, bit for bit, dropout on, two micro-batches',
    async ({ arch, storage }) => {
      await onBackend(backend);
      const cfg = modelConfig(arch, arch !== 'encoder-only', SMALL);
      const model = TransformerModel.initialise(cfg, 3);
      const micro = [randomBatch(cfg, arch, 3, 6, 1), randomBatch(cfg, arch, 2, 5, 2)];
      try {
        const before = tf.memory().numTensors;
        const want = await read(lossAndGrads(model, micro, trainingContexts(cfg, 4, micro), checkpointRunner(2, storage), 8));
        const got = await offloadedLossAndGrads(model, micro, trainingContexts(cfg, 4, micro), (host) => offloadRunner(2, storage, host), 8);
        expect(got.hostBytes).toBeGreaterThan(0);
        const values = await read(got);
        expect(values.loss).toBe(want.loss);
        for (const [name, g] of Object.entries(want.grads)) expect(values.grads[name], name).toEqual(g);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        model.dispose();
      }
    },
  );

  it('the boundaries leave the device for host memory between the passes, packed at half size under fp16', async () => {
    await onBackend(backend);
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const packed = tf.tensor1d([7, -8], 'int32');
    const host = new HostBoundaries();
    const before = tf.memory().numBytes;
    const a = host.keep(tf.clone(x));
    const b = host.keep(tf.clone(packed));
    expect(tf.memory().numBytes - before).toBe(24 + 8); // aliases count their bytes again
    await host.offload();
    expect(tf.memory().numBytes).toBe(before);
    expect(host.hostBytes).toBe(24 + 8);
    const [ra, rb] = [host.restore(a), host.restore(b)];
    expect(ra.shape).toEqual([2, 3]);
    expect(Array.from(await ra.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rb.dtype).toBe('int32');
    expect(Array.from(await rb.data())).toEqual([7, -8]);
    host.dispose();
    expect(host.hostBytes).toBe(0);
    tf.dispose([ra, rb, x, packed]);
  });
});
