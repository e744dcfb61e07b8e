import * as tf from '@tensorflow/tfjs';
import { webgpuHasShaderF16 } from '../internals/webgpu';
import { packHalf, type HalfFormat } from './half';
import { HALF_MATMUL, halfMatMulShape, type HalfMatMulAttrs, type HalfRead } from './halfMatMul/contract';
import { webgpuHalfMatMul } from './halfMatMul/webgpu';

/**
 * Matmuls that read half operands (autocast on WebGPU): a and b stored packed, two halves per
 * 32-bit word (packHalf), products accumulated in fp32, the result rounded to the half format.
 * Elsewhere autocast rounds float32 operands and runs TF.js's matmul (precision/autocast.ts).
 */
export { HALF_MATMUL, halfMatMulShape, type HalfRead } from './halfMatMul/contract';

function register(): void {
  if (!tf.getKernel(HALF_MATMUL, 'webgpu')) tf.registerKernel(webgpuHalfMatMul);
}

/** How this backend reads halves in the kernel: natively where the device has shader-f16 (fp16 only), else through unpack2x16float. */
export function halfReadFor(format: HalfFormat): HalfRead {
  return format === 'fp16' && webgpuHasShaderF16() ? 'native' : 'unpack';
}

/** Whether the current backend runs half-operand matmuls (WebGPU). */
export const hasHalfMatMul = (): boolean => tf.getBackend() === 'webgpu';

/** A packed operand with the shape it stands for. */
export interface PackedHalf {
  packed: tf.Tensor;
  shape: number[];
}

export function packOperand(x: tf.Tensor, format: HalfFormat): PackedHalf {
  return { packed: packHalf(x, format), shape: [...x.shape] };
}

export interface HalfMatMulOptions {
  /** How the kernel reads halves: by default the device's best. */
  read?: HalfRead;
  /** Round the fp32 sums to the half format (by default); false leaves them in fp32. */
  roundOutput?: boolean;
}

/** op(a)·op(b) on packed operands of the same rank and leading dims. */
export function halfMatMul(a: PackedHalf, b: PackedHalf, transposeA: boolean, transposeB: boolean, format: HalfFormat, opts: HalfMatMulOptions = {}): tf.Tensor {
  const { read = halfReadFor(format), roundOutput = true } = opts;
  register();
  if (!halfMatMulShape(a.shape, b.shape, transposeA, transposeB)) {
    throw new Error(`halfMatMul: shapes [${a.shape}]${transposeA ? 'ᵀ' : ''} and [${b.shape}]${transposeB ? 'ᵀ' : ''} do not fit`);
  }
  const attrs: HalfMatMulAttrs = { format, aShape: a.shape, bShape: b.shape, transposeA, transposeB, read, roundOutput };
  return tf.engine().runKernel(HALF_MATMUL, { a: a.packed, b: b.packed }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
