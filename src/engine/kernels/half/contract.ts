/**
 * The kernel contract of the half-precision ops: names, inputs and attributes, as TF.js's own
 * kernel_names.ts states them. Every backend's implementation (cpu.ts, wasm.ts, webgpu.ts)
 * and the composite fallback follow it; nothing here touches a backend.
 */

import type { HalfFormat } from '../../precision/policy';

/** The formats are the precision policy's: one type for the idea, named there. */
export type { HalfFormat };
export const HALF_FORMATS: readonly HalfFormat[] = ['fp16', 'bf16'];

/** float32 → float32 holding the nearest half value (round to nearest, ties to even). Input `x`. */
export const ROUND_HALF = 'LabRoundHalf';
/** float32 of n elements → int32 of ceil(n/2): halves 2i (low 16 bits) and 2i+1 (high). Input `x`. */
export const PACK_HALF = 'LabPackHalf';
/** int32 from PACK_HALF → float32 of `shape`. Input `packed`. */
export const UNPACK_HALF = 'LabUnpackHalf';

export interface HalfAttrs {
  format: HalfFormat;
}

export interface UnpackHalfAttrs extends HalfAttrs {
  shape: number[];
}

/** Two halves per 32-bit element; an odd last half is paired with zero bits. */
export const packedLength = (n: number): number => Math.ceil(n / 2);

export function assertFormat(format: unknown): asserts format is HalfFormat {
  if (format !== 'fp16' && format !== 'bf16') throw new Error(`half format must be 'fp16' or 'bf16' (got ${String(format)})`);
}
