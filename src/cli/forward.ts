import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { parseSeriesBatch } from '../engine/forecaster/batch';
import { forecast } from '../engine/forecaster/forward';
import { batchTensors } from '../engine/model/batchTensors';
import { createContext } from '../engine/model/context';
import { forwardLogits } from '../engine/model/forward';
import { TransformerModel } from '../engine/model/model';
import { isForecaster } from '../engine/modelKind';
import { lossAndGrads } from '../engine/train/gradients';
import { seriesTensors, type MicroBatch } from '../engine/train/objective';
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

/**
 * `{loss, logits, grads?}` for one batch with dropout off, as `torch_reference.py forward` writes
 * it; a forecaster writes `prediction` in place of `logits`.
 */
export async function forward(flags: ForwardFlags): Promise<void> {
  const weights = parseWeights(readJson(flags.weights, '--weights'));
  const cfg = weights.config;
  const rawBatch = readJson(flags.batch, '--batch');
  const batch: MicroBatch = isForecaster(cfg) ? parseSeriesBatch(rawBatch, cfg) : parseBatch(rawBatch, cfg);
  const model = TransformerModel.fromValues(cfg, weights.tensors);
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul: matMulFor(flags.precision) });
  try {
    const output = tf.tidy(() =>
      isForecaster(cfg)
        ? forecast(ctx, model.lookup, cfg, seriesTensors(batch as Parameters<typeof seriesTensors>[0]).x)
        : forwardLogits(ctx, model.lookup, cfg, batchTensors(batch as Parameters<typeof batchTensors>[0]).tokens),
    );
    const key = isForecaster(cfg) ? 'prediction' : 'logits';
    const out: Record<string, unknown> = { [key]: tensorToJson(key, await readTensor(output), 'data') };
    output.dispose();
    const { loss, grads } = lossAndGrads(model, [batch], () => ctx);
    out.loss = (await loss.data())[0];
    if (flags.grads) {
      const named: Record<string, unknown> = {};
      for (const [name, g] of grads) named[name] = tensorToJson(name, await readTensor(g), 'data');
      out.grads = named;
    }
    tf.dispose([loss, ...grads.values()]);
    writeFileSync(flags.out, stringifyWeights({ loss: out.loss, [key]: out[key], ...(out.grads ? { grads: out.grads } : {}) }));
  } finally {
    model.dispose();
  }
}
