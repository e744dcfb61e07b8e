/**
 * The kernel contract of the half-operand matmul (autocast on WebGPU): names, inputs and
 * attributes, as TF.js's kernel_names.ts states them. Its one implementation is webgpu.ts.
 */
import type { HalfFormat } from '../half/contract';

/**
 * op(a)·op(b) of two half tensors stored packed (PACK_HALF's int32 words, two halves each),
 * products accumulated in fp32, the result rounded to the half format (unless `roundOutput` is
 * false: a weight's gradient, rounded once per step after accumulation) and returned as float32.
 * Inputs `a`, `b`; both operands have the same rank (2 or more) and the same leading dims.
 */
export const HALF_MATMUL = 'LabHalfMatMul';

/** How a kernel reads its halves: through unpack2x16float (core WGSL) or as native f16 (`shader-f16`). */
export type HalfRead = 'unpack' | 'native';

export interface HalfMatMulAttrs {
  format: HalfFormat;
  aShape: number[];
  bShape: number[];
  transposeA: boolean;
  transposeB: boolean;
  read: HalfRead;
  roundOutput: boolean;
}

/** [batch, rows, inner] of op(a), [batch, inner, cols] of op(b), and the output's shape; null when the shapes do not fit this kernel. */
export function halfMatMulShape(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean) {
  const rank = aShape.length;
  if (rank < 2 || bShape.length !== rank) return null;
  const lead = aShape.slice(0, -2);
  if (lead.some((d, i) => d !== bShape[i])) return null;
  const [a0, a1] = aShape.slice(-2) as [number, number];
  const [b0, b1] = bShape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [kb, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== kb) return null;
  const batch = lead.reduce((x, y) => x * y, 1);
  return { batch, m, k, n, outShape: [...lead, m, n] };
}
