import type { HalfFormat } from './contract';

/**
 * WGSL for the WebGPU kernels (webgpu.ts): the same integer rounding as bits.ts, line for line.
 * The core builtins pack2x16float / unpack2x16float need no `shader-f16`, but WGSL lets them
 * round either way, makes them indeterminate for ±inf, NaN or out-of-range inputs, and lets
 * them flush subnormals. So they only convert values that are already normal fp16 values
 * (exact under every rounding mode); the other lanes, and all of bf16, are bit operations.
 */
const FP16 = /* wgsl */ `
fn fp16FromFloatBits(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }
  if (a >= 0x38800000u) {
    let m = a - 0x38000000u;
    return sign | ((m + 0xfffu + ((m >> 13u) & 1u)) >> 13u);
  }
  if (a <= 0x33000000u) { return sign; }
  let shift = 126u - (a >> 23u);
  let mant = (a & 0x7fffffu) | 0x800000u;
  let h = mant >> shift;
  let rest = mant & ((1u << shift) - 1u);
  let halfway = 1u << (shift - 1u);
  return sign | (h + select(0u, 1u, rest > halfway || (rest == halfway && (h & 1u) == 1u)));
}

fn floatBitsFromFp16(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) { return sign | 0x7f800000u | (m << 13u); }
  if (e != 0u) { return sign | ((e + 112u) << 23u) | (m << 13u); }
  if (m == 0u) { return sign; }
  let p = 31u - countLeadingZeros(m);
  return sign | ((p + 103u) << 23u) | ((m << (23u - p)) & 0x7fffffu);
}

// |x| in [2^-14, 65520): a normal fp16 after rounding.
fn isNormalFp16(b: u32) -> bool {
  let a = b & 0x7fffffffu;
  return a >= 0x38800000u && a < 0x477ff000u;
}

// Within the normal range, rounding the float32 mantissa to 10 bits is the whole job.
fn roundNormalFp16(b: u32) -> u32 {
  return (b + 0xfffu + ((b >> 13u) & 1u)) & 0xffffe000u;
}

fn roundBits(b: u32) -> u32 {
  if (isNormalFp16(b)) { return roundNormalFp16(b); }
  return floatBitsFromFp16(fp16FromFloatBits(b));
}

fn packPair(lo: u32, hi: u32) -> u32 {
  let normal = vec2<bool>(isNormalFp16(lo), isNormalFp16(hi));
  // Zero stands in for the other lanes: one out-of-range lane would make the whole word indeterminate.
  let rounded = bitcast<vec2<f32>>(vec2<u32>(roundNormalFp16(lo), roundNormalFp16(hi)));
  var word = pack2x16float(select(vec2<f32>(0.0), rounded, normal));
  if (!normal.x) { word = (word & 0xffff0000u) | fp16FromFloatBits(lo); }
  if (!normal.y) { word = (word & 0x0000ffffu) | (fp16FromFloatBits(hi) << 16u); }
  return word;
}

fn unpackBits(h: u32) -> u32 {
  let e = (h >> 10u) & 0x1fu;
  if (e == 0u || e == 0x1fu) { return floatBitsFromFp16(h); }
  return bitcast<u32>(unpack2x16float(h).x);
}
`;

const BF16 = /* wgsl */ `
fn bf16FromFloatBits(b: u32) -> u32 {
  if ((b & 0x7fffffffu) > 0x7f800000u) { return (b >> 16u) | 0x40u; }
  return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}

fn roundBits(b: u32) -> u32 { return bf16FromFloatBits(b) << 16u; }

fn packPair(lo: u32, hi: u32) -> u32 { return bf16FromFloatBits(lo) | (bf16FromFloatBits(hi) << 16u); }

fn unpackBits(h: u32) -> u32 { return h << 16u; }
`;

const HELPERS: Record<HalfFormat, string> = { fp16: FP16, bf16: BF16 };

/** The rounding, packing and unpacking helpers of one format (roundBits, packPair, unpackBits). */
export const halfHelpers = (format: HalfFormat): string => HELPERS[format];

/**
 * Input `x` (float32, flat), output float32: a NaN passes through with its bits. `x` is read
 * through f32(): a float32 tensor cast from int32 may still sit in an i32 buffer (TF.js's
 * Cast can relabel the data), where the bits are the integer's; f32() of an f32 is exact.
 */
export const roundHalfShader = (format: HalfFormat) => `${HELPERS[format]}
fn main(index: i32) {
  if (index < uniforms.size) {
    let b = bitcast<u32>(f32(x[index]));
    result[index] = bitcast<f32>(select(roundBits(b), b, (b & 0x7fffffffu) > 0x7f800000u));
  }
}
`;

/** Input `x` (float32, flat, n = uniforms.xShape), output int32 of ceil(n/2): raw words. */
export const packHalfShader = (format: HalfFormat) => `${HELPERS[format]}
fn main(index: i32) {
  if (index < uniforms.size) {
    let lo = bitcast<u32>(f32(x[2 * index]));
    var hi = 0u;
    if (2 * index + 1 < uniforms.xShape) { hi = bitcast<u32>(f32(x[2 * index + 1])); }
    result[index] = bitcast<i32>(packPair(lo, hi));
  }
}
`;

/** Input `halves` (int32 words, read raw, not through getHalves, which converts to f32). */
export const unpackHalfShader = (format: HalfFormat) => `${HELPERS[format]}
fn main(index: i32) {
  if (index < uniforms.size) {
    let word = bitcast<u32>(halves[index / 2]);
    result[index] = bitcast<f32>(unpackBits((word >> (16u * u32(index % 2))) & 0xffffu));
  }
}
`;
