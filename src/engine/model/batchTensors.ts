import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../tasks/types';
import type { TokenTensors } from './forward';

/**
 * A batch's rows as int32 tensors: the model's inputs and the targets, each [B, T] of its own
 * padded length. Training and evaluation both feed the model through it.
 */
export function batchTensors(batch: Batch): { tokens: TokenTensors; targets: tf.Tensor2D } {
  const int2d = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
  return {
    tokens: { src: batch.src && int2d(batch.src), tgtIn: batch.tgtIn && int2d(batch.tgtIn) },
    targets: int2d(batch.tgtOut),
  };
}
