import type { HalfFormat } from './contract';

/**
 * Half-precision rounding on raw bits, shared by the cpu and wasm kernels. Integer arithmetic
 * only, so the result is the same on every JS engine and matches torch's `.half()` /
 * `.bfloat16()` bit for bit: round to nearest, ties to even, subnormals kept, overflow to ±inf.
 * Arguments and results are unsigned 32-bit patterns (float32 bits) or 16-bit patterns (halves).
 */

/** float32 bits → fp16 bits. NaN becomes the quiet NaN 0x7e00 with the input's sign. */
export function fp16FromFloatBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00;
  // 65520 = 65504 + half an fp16 step: the tie rounds to even, which is infinity.
  if (a >= 0x477ff000) return sign | 0x7c00;
  if (a >= 0x38800000) {
    // Normal fp16: rebias the exponent (127 → 15), then round the 23-bit mantissa to 10 bits.
    const m = a - 0x38000000;
    return sign | ((m + 0xfff + ((m >>> 13) & 1)) >>> 13);
  }
  // At or below 2^-25 (half the smallest subnormal, a tie to even zero): ±0.
  if (a <= 0x33000000) return sign;
  // Subnormal fp16: the value in units of 2^-24 is mant >> shift, rounded.
  const shift = 126 - (a >>> 23);
  const mant = (a & 0x7fffff) | 0x800000;
  const h = mant >>> shift;
  const rest = mant & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return sign | (h + (rest > halfway || (rest === halfway && (h & 1) === 1) ? 1 : 0));
}

/** fp16 bits → float32 bits (exact: every fp16 value is a float32 value). */
export function floatBitsFromFp16(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  if (e !== 0) return (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
  if (m === 0) return sign >>> 0;
  // Subnormal: m * 2^-24 with its leading bit at position p is 2^(p-24) * 1.f in float32.
  const p = 31 - Math.clz32(m);
  return (sign | ((p + 103) << 23) | ((m << (23 - p)) & 0x7fffff)) >>> 0;
}

/** float32 bits → bf16 bits. NaN keeps its sign and top payload, made quiet so it stays a NaN. */
export function bf16FromFloatBits(b: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40;
  // Below 0xff800000 + 0x8000 the sum stays under 2^32: no wrap-around.
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

export const floatBitsFromBf16 = (h: number): number => (h << 16) >>> 0;

const TO_HALF = { fp16: fp16FromFloatBits, bf16: bf16FromFloatBits };
const FROM_HALF = { fp16: floatBitsFromFp16, bf16: floatBitsFromBf16 };

export const halfFromFloatBits = (b: number, format: HalfFormat): number => TO_HALF[format](b);
export const floatBitsFromHalf = (h: number, format: HalfFormat): number => FROM_HALF[format](h);

/*
 * The rounding loops below are the hot path of autocast (six roundings per matmul). Each format
 * has its own loop with the rounding inlined and signed 32-bit arithmetic throughout, which V8
 * keeps in registers; going through fp16 bits and back costs several times more per element.
 * They give the same bits as halfFromFloatBits followed by floatBitsFromHalf (the tests check it).
 */

/** 2^-24 · 2^23: float32 values in [0.5, 1) are spaced 2^-24 apart, the fp16 subnormal step. */
const SUBNORMAL_RAMP = 0.75;

function roundFp16Bits(src: Uint32Array, dst: Uint32Array): void {
  const s = new Int32Array(src.buffer, src.byteOffset, src.length);
  const d = new Int32Array(dst.buffer, dst.byteOffset, dst.length);
  const f = new Float32Array(src.buffer, src.byteOffset, src.length);
  const df = new Float32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < s.length; i++) {
    const b = s[i]!;
    const a = b & 0x7fffffff;
    const sign = b & -0x80000000;
    if (a > 0x7f800000) d[i] = b; // NaN passes on as it is
    else if (a >= 0x477ff000) d[i] = sign | 0x7f800000; // beyond 65504 + half a step: ±inf
    else if (a >= 0x38800000) d[i] = sign | ((a + 0xfff + ((a >>> 13) & 1)) & ~0x1fff); // normal: 10 mantissa bits, ties to even
    else if (a <= 0x33000000) d[i] = sign; // at or below half the smallest subnormal: ±0
    else {
      // Subnormal: float32 addition rounds |x| + 0.75 to a multiple of 2^-24, ties to even; the
      // subtraction is exact.
      df[i] = Math.fround(Math.abs(f[i]!) + SUBNORMAL_RAMP) - SUBNORMAL_RAMP;
      d[i] = d[i]! | sign;
    }
  }
}

function roundBf16Bits(src: Uint32Array, dst: Uint32Array): void {
  const s = new Int32Array(src.buffer, src.byteOffset, src.length);
  const d = new Int32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < s.length; i++) {
    const b = s[i]!;
    // A NaN keeps its bits; everything else rounds its low 16 bits away, ties to even, which
    // carries into the exponent (up to ±inf) exactly as the 16-bit path does.
    d[i] = (b & 0x7fffffff) > 0x7f800000 ? b : (b + 0x7fff + ((b >>> 16) & 1)) & ~0xffff;
  }
}

/** dst[i] = src[i] rounded to the half format, as float32 bits; a NaN is passed on as it is. */
export function roundHalfBits(src: Uint32Array, dst: Uint32Array, format: HalfFormat): void {
  if (format === 'fp16') roundFp16Bits(src, dst);
  else roundBf16Bits(src, dst);
}

/** dst (length ceil(n/2)) gets the halves of src (length n), 2i in the low 16 bits. */
export function packHalfBits(src: Uint32Array, dst: Uint32Array, format: HalfFormat): void {
  const to = TO_HALF[format];
  const n = src.length;
  for (let i = 0; 2 * i < n; i++) {
    const lo = to(src[2 * i]!);
    const hi = 2 * i + 1 < n ? to(src[2 * i + 1]!) : 0;
    dst[i] = (lo | (hi << 16)) >>> 0;
  }
}

/** dst (length n) gets the float32 bits of the halves packed in src. */
export function unpackHalfBits(src: Uint32Array, dst: Uint32Array, format: HalfFormat): void {
  const from = FROM_HALF[format];
  for (let i = 0; i < dst.length; i++) {
    const word = src[i >>> 1]!;
    dst[i] = from((i & 1) === 0 ? word & 0xffff : word >>> 16);
  }
}
