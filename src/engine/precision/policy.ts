import type { Precision, TrainConfig } from '../runConfig';

/*
 * The precision policy: what `train.precision`, `train.checkpointing`, `train.offload` and
 * `train.lossScaler.enabled` mean for every part of a run, decided here once. The trainer, the
 * memory meter, the predictor and the page read it. Plain TypeScript, no TF.js: the page calls
 * it as the user types.
 */

export type { Precision };
/** `train.checkpointing`: no recompute, one segment per layer, or n consecutive layers per segment. */
export type Checkpointing = TrainConfig['checkpointing'];
/** `train.offload`: whether checkpointed segments' boundaries wait in host memory. */
export type Offload = TrainConfig['offload'];
/** The half formats: fp16 is IEEE binary16, bf16 the top 16 bits of a float32. */
export type HalfFormat = Exclude<Precision, 'fp32'>;

/** The train config fields the policy reads (a whole `RunConfig['train']` will do). */
export interface PrecisionSettings {
  precision: Precision;
  checkpointing: Checkpointing;
  offload?: Offload;
  lossScaler?: { enabled?: boolean };
}

export interface PrecisionPolicy {
  /** Matmuls: plain fp32, or autocast with half operands and results (precision/autocast.ts). */
  matMul: Precision;
  /** The format recomputed segments keep their boundaries in: float32, or two halves per int32. */
  boundaryStorage: Precision;
  /** Layers per recomputed segment; 0 when the stacks run plainly. */
  segmentSize: number;
  /** Whether the recompute comes from the precision or the offload alone (checkpointing 'none'). */
  recomputeImplied: boolean;
  /**
   * Whether segment boundaries wait in host memory between the passes (autograd/offload.ts),
   * every segment recomputed.
   */
  offload: boolean;
  /** Dynamic loss scaling: `lossScaler.enabled`, on by default under fp16 only. */
  lossScaling: boolean;
}

/**
 * Layers per recomputed segment, or 0 when the stack runs plainly. 'none' recomputes one layer
 * per segment under a half precision: a plain TF.js forward keeps what each op saves for its
 * gradient (nearly every op input and output) as float32 until the backward pass ends, so
 * activations can be stored at half size only by recomputing from packed boundaries. Offloading
 * moves segment boundaries, so it implies one layer per segment too.
 */
export function segmentSize(checkpointing: Checkpointing, precision: Precision, offload: Offload = 'none'): number {
  if (checkpointing === 'none') return precision === 'fp32' && offload === 'none' ? 0 : 1;
  return checkpointing === 'layers' ? 1 : checkpointing;
}

/** Everything the run's precision settings decide. */
export function precisionPolicy(t: PrecisionSettings): PrecisionPolicy {
  const offload = (t.offload ?? 'none') === 'activations';
  const size = segmentSize(t.checkpointing, t.precision, t.offload);
  return {
    matMul: t.precision,
    boundaryStorage: t.precision,
    segmentSize: size,
    recomputeImplied: t.checkpointing === 'none' && size > 0,
    offload,
    lossScaling: t.lossScaler?.enabled ?? t.precision === 'fp16',
  };
}
