/**
 * The kernel contract of the rounded matmul (autocast's products on the CPU backends): name,
 * inputs and attributes, as TF.js's kernel_names.ts states them. Its one kernel is wasm.ts;
 * elsewhere roundedMatMul.ts composes the same result from TF.js's matmul and ROUND_HALF.
 */
import type { HalfFormat } from '../half/contract';

/**
 * op(a)·op(b) of float32 operands, each output element one fp32 sum as BatchMatMul makes it,
 * then rounded to the half format (ROUND_HALF's rounding). Inputs `a`, `b`, shaped as
 * BatchMatMul takes them. It has no gradient of its own: autocast's customGrad supplies one.
 */
export const ROUNDED_MATMUL = 'LabRoundedMatMul';

export interface RoundedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  format: HalfFormat;
}
