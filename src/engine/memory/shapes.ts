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

/** One stack of layers as the model runs it (model/forward.ts `StackRunner`): how many layers, over how many positions. */
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

/**
 * How a checkpointed stack runs its segments of `size` layers (autograd/checkpoint.ts): every
 * segment is recomputed from a kept boundary, except the last, which keeps its tape instead
 * (offloading recomputes that one too). All zero when the stack runs plainly.
 */
export interface SegmentPlan {
  /** Segments recomputed in the backward pass, each with its boundary kept. */
  recomputed: number;
  /** Layers of the first recomputed segment (recomputed last, with the most gradients alive). */
  firstLayers: number;
  /** Layers of the segment that keeps its tape (the stack's last). */
  keptLayers: number;
}

export function segmentPlan(stack: Pick<StackShape, 'layers'>, size: number, offload = false): SegmentPlan {
  if (size === 0 || stack.layers === 0) return { recomputed: 0, firstLayers: 0, keptLayers: 0 };
  const segments = Math.ceil(stack.layers / size);
  // Offloading recomputes every segment (autograd/offload.ts): no tape stays between the passes.
  const keeps = !offload;
  const keptLayers = keeps ? stack.layers - (segments - 1) * size : 0;
  const recomputed = keeps ? segments - 1 : segments;
  return { recomputed, firstLayers: recomputed === 0 ? 0 : Math.min(size, stack.layers), keptLayers };
}

/**
 * Bytes of the segment boundaries kept between the forward and the backward pass: one
 * [rows, length, dModel] boundary per recomputed segment (the stack's input included), packed two
 * halves per int32 element under a half storage (`packed`; rounded float32 values where the
 * backend has no packing kernel). 0 without recompute.
 */
export function boundaryBytes(cfg: ModelConfig, policy: PrecisionPolicy, shape: MicroShape, packed = true): number {
  return stacksOf(cfg, shape).reduce((bytes, stack) => {
    const values = shape.rows * stack.length * cfg.dModel;
    const one = policy.boundaryStorage !== 'fp32' && packed ? 4 * Math.ceil(values / 2) : 4 * values;
    return bytes + segmentPlan(stack, policy.segmentSize, policy.offload).recomputed * one;
  }, 0);
}

/**
 * Bytes of the boundaries kept at half size on the device between the passes: boundaryBytes under
 * fp16 / bf16, 0 under fp32 storage, without recompute, or when they wait in host memory.
 */
export function halfCopyBytes(cfg: ModelConfig, policy: PrecisionPolicy, shape: MicroShape, packed = true): number {
  return policy.boundaryStorage === 'fp32' || policy.offload ? 0 : boundaryBytes(cfg, policy, shape, packed);
}

/** Bytes of the boundaries waiting in host memory between the passes (offload); 0 without offload. */
export function hostBoundaryBytes(cfg: ModelConfig, policy: PrecisionPolicy, shape: MicroShape, packed = true): number {
  return policy.offload ? boundaryBytes(cfg, policy, shape, packed) : 0;
}
