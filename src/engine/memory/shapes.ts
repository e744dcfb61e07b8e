import { architecture, type ModelConfig } from '../config';
import type { PrecisionPolicy } from '../precision/policy';

/*
 * Shapes of a training step, shared by the step's accounting (meter.ts) and the predictor
 * (predict.ts). Plain TypeScript: no TF.js, so the page can call it as the user types.
 */

/** A micro-batch's shape: rows, and the padded lengths of its source and target rows (0 when absent). */
export interface MicroShape {
  rows: number;
  srcLen: number;
  tgtLen: number;
}

/** The shape of a batch (its rows are already padded to one length per field). */
export function microShape(b: { src?: number[][]; tgtIn?: number[][]; tgtOut: number[][] }): MicroShape {
  return { rows: b.tgtOut.length, srcLen: b.src?.[0]?.length ?? 0, tgtLen: b.tgtIn?.[0]?.length ?? 0 };
}

/** One stack of layers as the model runs it: how many layers, over how many positions. */
export interface StackShape {
  kind: 'encoder' | 'decoder';
  layers: number;
  length: number;
}

/** The stacks of a model for a micro-batch: the encoder's, the decoder's, or a single one. */
export function stacksOf(cfg: ModelConfig, shape: MicroShape): StackShape[] {
  switch (architecture(cfg)) {
    case 'encoder-decoder':
      return [
        { kind: 'encoder', layers: cfg.nEncoderLayers, length: shape.srcLen },
        { kind: 'decoder', layers: cfg.nDecoderLayers, length: shape.tgtLen },
      ];
    // Decoder-only and encoder-only models run `nn.TransformerEncoderLayer`s (causal or not).
    case 'decoder-only':
      return [{ kind: 'encoder', layers: cfg.nDecoderLayers, length: shape.tgtLen }];
    case 'encoder-only':
      return [{ kind: 'encoder', layers: cfg.nEncoderLayers, length: shape.srcLen }];
  }
}

/** How many recomputed segments a stack of `layers` layers has (0 when it runs plainly). */
export function segmentCount(layers: number, size: number): number {
  return size === 0 ? 0 : Math.ceil(layers / size);
}

/**
 * Bytes of the segment boundaries kept at half size between the forward and the backward pass:
 * one [rows, length, dModel] boundary per segment (the stack's input included), packed two
 * halves per int32 element (`packed`), or rounded float32 values where the backend has no
 * packing kernel. 0 under fp32 storage or without recompute.
 */
export function halfCopyBytes(
  cfg: ModelConfig,
  policy: PrecisionPolicy,
  shape: MicroShape,
  packed = true,
): number {
  if (policy.boundaryStorage === 'fp32') return 0;
  return stacksOf(cfg, shape).reduce((bytes, stack) => {
    const values = shape.rows * stack.length * cfg.dModel;
    const one = packed ? 4 * Math.ceil(values / 2) : 4 * values;
    return bytes + segmentCount(stack.layers, policy.segmentSize) * one;
  }, 0);
}
