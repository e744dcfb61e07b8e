import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { batchTensors } from '../engine/model/batchTensors';
import { createContext } from '../engine/model/context';
import { forwardLogits } from '../engine/model/forward';
import { meanTokenLoss } from '../engine/model/loss';
import { TransformerModel } from '../engine/model/model';
import { lossAndGrads } from '../engine/train/gradients';
import { matMulFor } from '../engine/precision/autocast';
import type { Precision } from '../engine/precision/policy';
import { parseBatch } from '../engine/weights/batch';
import { parseWeights, tensorToJson } from '../engine/weights/format';
import { stringifyWeights } from '../engine/weights/stringify';
import { readJson } from './io';

export interface ForwardFlags {
  weights: string;
  batch: string;
  out: string;
  grads: boolean;
  precision: Precision;
}

const readTensor = async (t: tf.Tensor) => ({ shape: t.shape, values: (await t.data()) as Float32Array });

/** `{loss, logits, grads?}` for one batch with dropout off, as `torch_reference.py forward` writes it. */
export async function forward(flags: ForwardFlags): Promise<void> {
  const weights = parseWeights(readJson(flags.weights, '--weights'));
  const batch = parseBatch(readJson(flags.batch, '--batch'), weights.config);
  const model = TransformerModel.fromValues(weights.config, weights.tensors);
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul: matMulFor(flags.precision) });
  try {
    const logits = tf.tidy(() => forwardLogits(ctx, model.lookup, model.config, batchTensors(batch).tokens));
    const out: Record<string, unknown> = { logits: tensorToJson('logits', await readTensor(logits), 'data') };
    if (flags.grads) {
      const { loss, grads } = lossAndGrads(model, [batch], () => ctx);
      out.loss = (await loss.data())[0];
      const named: Record<string, unknown> = {};
      for (const [name, g] of grads) named[name] = tensorToJson(name, await readTensor(g), 'data');
      out.grads = named;
      tf.dispose([loss, ...grads.values()]);
    } else {
      const loss = tf.tidy(() => meanTokenLoss(logits, batchTensors(batch).targets));
      out.loss = (await loss.data())[0];
      loss.dispose();
    }
    logits.dispose();
    writeFileSync(flags.out, stringifyWeights({ loss: out.loss, logits: out.logits, ...(out.grads ? { grads: out.grads } : {}) }));
  } finally {
    model.dispose();
  }
}
