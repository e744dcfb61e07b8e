import type { HalfFormat } from '../kernels/half/contract';
import {
  F32X4_ADD, F32X4_MUL, F32X4_SUB, I16X8_NARROW_I32X4_U, I32_ADD, I32_CONST, I32_SUB, I32X4_ADD, I32X4_CONST,
  I32X4_EXTEND_HIGH_I16X8_U, I32X4_EXTEND_LOW_I16X8_U, I32X4_GE_S, I32X4_GT_S, I32X4_MAX_S, I32X4_MIN_S, I32X4_SHL,
  I32X4_SHR_U, I32X4_SUB, instantiate, LOCAL_GET, LOCAL_SET, LOCAL_TEE, V128, V128_AND, V128_BITSELECT, V128_LOAD, V128_OR,
  V128_STORE, type WasmFunction,
} from './wasmAsm';

/*
 * The half conversions in WebAssembly SIMD, run on tfjs-backend-wasm's own heap: a module
 * assembled here from opcodes (wasmAsm.ts) that imports the backend's memory (TF.js 4.22
 * internals, pinned by tests) and rounds, packs or unpacks four or eight values at a time,
 * giving the bits bits.ts's loops give (ties to even, subnormals kept, NaN as there). Those
 * loops stay for the tail of each tensor and wherever the module cannot be made.
 */

const k = I32X4_CONST;

// Parameters: 0 src byte offset, 1 dst byte offset, 2 count of groups. Locals: 3 b, 4 a, 5 sign, 6 m, 7 s.
const [SRC, DST, N, B, A, SIGN, M, S] = [0, 1, 2, 3, 4, 5, 6, 7];

/** b, a = b & 0x7fffffff and sign = b & 0x80000000 for the float32 vector at src + offset. */
const loadFloats = (offset: number) => [
  ...LOCAL_GET(SRC), ...V128_LOAD(offset), ...LOCAL_TEE(B),
  ...k(0x7fffffff), ...V128_AND, ...LOCAL_SET(A),
  ...LOCAL_GET(B), ...k(-0x80000000), ...V128_AND, ...LOCAL_SET(SIGN),
];

/**
 * s = |x| + m and |x| rounded to fp16, (|x| + m) − m, on the stack. With m = 2^(e + 13) for |x|
 * in [2^e, 2^(e+1)) (e at least −14, the subnormal halves' spacing), |x| + m lies in m's binade,
 * whose float32 spacing, 2^(e − 10), is the half's: the addition rounds to it, ties to even (m
 * adds an even count of that spacing), and subtracting m again is exact. Right below 65520 only.
 */
const fp16Magnitude = [
  ...LOCAL_GET(A),
  ...LOCAL_GET(A), ...k(0x7f800000), ...V128_AND, ...k(0x38800000), ...I32X4_MAX_S, ...k(13 << 23), ...I32X4_ADD, ...LOCAL_TEE(M),
  ...F32X4_ADD, ...LOCAL_TEE(S), ...LOCAL_GET(M), ...F32X4_SUB,
];

/** `taken` where |x|'s bits (a) `compare` true against `bound`, else `kept`. */
const select = (taken: number[], kept: number[], compare: number[], bound: number) => [...taken, ...kept, ...LOCAL_GET(A), ...k(bound), ...compare, ...V128_BITSELECT];

/**
 * The four float32 values at src + offset rounded to fp16, as float32 bits, in as few vector ops
 * as this takes (it runs on every autocast operand and product):
 * - |x| clamped to 65536 (infinity and NaN included) rounds as fp16Magnitude does, so 65520 and
 *   up (65504 + half a step) come out as 65536;
 * - scaling by 2^112 and back is exact for every fp16 value and overflows from 65536 on: ±inf;
 * - the sign comes back from x by a bit select that takes all of x where x is a NaN.
 */
const roundFp16 = (offset: number) => [
  ...LOCAL_GET(SRC), ...V128_LOAD(offset), ...LOCAL_TEE(B),
  ...k(0x7fffffff), ...V128_AND, ...LOCAL_TEE(A), ...k(0x47800000), ...I32X4_MIN_S, ...LOCAL_TEE(S),
  ...k(0x7f800000), ...V128_AND, ...k(0x38800000), ...I32X4_MAX_S, ...k(13 << 23), ...I32X4_ADD, ...LOCAL_TEE(M),
  ...LOCAL_GET(S), ...F32X4_ADD, ...LOCAL_GET(M), ...F32X4_SUB, ...k(0x77800000), ...F32X4_MUL, ...k(0x07800000), ...F32X4_MUL,
  ...LOCAL_SET(S), ...LOCAL_GET(B), ...LOCAL_GET(S),
  ...LOCAL_GET(A), ...k(0x7f800000), ...I32X4_GT_S, ...k(-0x80000000), ...V128_OR, ...V128_BITSELECT,
];

/**
 * The same four values as fp16 bits, one per i32 lane. From 2^-14 on, the rounded value rebiased;
 * below, the sum |x| + 0.5 holds the subnormal's count of 2^-24 in its low bits (0x400, the
 * smallest normal, where it rounds up).
 */
const packFp16 = (offset: number) => [
  ...loadFloats(offset),
  ...select(k(0x7e00), select(k(0x7c00), select(
    [...fp16Magnitude, ...k(0x38000000), ...I32X4_SUB, ...I32_CONST(13), ...I32X4_SHR_U],
    [...LOCAL_GET(S), ...k(0x3f000000), ...I32X4_SUB],
    I32X4_GE_S, 0x38800000,
  ), I32X4_GE_S, 0x477ff000), I32X4_GT_S, 0x7f800000),
  ...LOCAL_GET(SIGN), ...I32_CONST(16), ...I32X4_SHR_U, ...V128_OR,
];

/** The four float32 values at src + offset rounded to bf16, as float32 bits (a NaN kept as it is). */
const roundBf16 = (offset: number) => [
  ...loadFloats(offset),
  ...LOCAL_GET(B),
  ...LOCAL_GET(B), ...k(0x7fff), ...I32X4_ADD,
  ...LOCAL_GET(B), ...I32_CONST(16), ...I32X4_SHR_U, ...k(1), ...V128_AND, ...I32X4_ADD,
  ...k(~0xffff), ...V128_AND,
  ...LOCAL_GET(A), ...k(0x7f800000), ...I32X4_GT_S, ...V128_BITSELECT,
];

/** The same four values as bf16 bits, one per i32 lane (a NaN keeps its top bits, made quiet). */
const packBf16 = (offset: number) => [
  ...loadFloats(offset),
  ...LOCAL_GET(B), ...I32_CONST(16), ...I32X4_SHR_U, ...k(0x40), ...V128_OR,
  ...LOCAL_GET(B), ...k(0x7fff), ...I32X4_ADD,
  ...LOCAL_GET(B), ...I32_CONST(16), ...I32X4_SHR_U, ...k(1), ...V128_AND, ...I32X4_ADD, ...I32_CONST(16), ...I32X4_SHR_U,
  ...LOCAL_GET(A), ...k(0x7f800000), ...I32X4_GT_S, ...V128_BITSELECT,
];

/** Four fp16 bit patterns (b, one per i32 lane) as float32 bits: the magnitude scaled by 2^112 (exact, subnormals too), inf and NaN kept. */
const unpackFp16 = [
  ...LOCAL_GET(B), ...k(0x7fff), ...V128_AND, ...I32_CONST(13), ...I32X4_SHL, ...LOCAL_TEE(A),
  ...k(0x7f800000), ...V128_OR,
  ...LOCAL_GET(A), ...k(0x77800000), ...F32X4_MUL,
  ...LOCAL_GET(A), ...k(0x7c00 << 13), ...I32X4_GE_S, ...V128_BITSELECT,
  ...LOCAL_GET(B), ...k(0x8000), ...V128_AND, ...I32_CONST(16), ...I32X4_SHL, ...V128_OR,
];

const unpackBf16 = [...LOCAL_GET(B), ...I32_CONST(16), ...I32X4_SHL];

const advance = (i: number, bytes: number) => [...LOCAL_GET(i), ...I32_CONST(bytes), ...I32_ADD, ...LOCAL_SET(i)];

/** while (n--) { body; src += srcStep; dst += dstStep } */
function loop(name: string, body: number[], srcStep: number, dstStep: number): WasmFunction {
  const code = [
    0x02, 0x40, // block
    ...LOCAL_GET(N), 0x45 /* i32.eqz */, 0x0d, 0 /* br_if block */,
    0x03, 0x40, // loop
    ...body, ...advance(SRC, srcStep), ...advance(DST, dstStep),
    ...LOCAL_GET(N), ...I32_CONST(1), ...I32_SUB, ...LOCAL_TEE(N), 0x0d, 0 /* br_if loop */,
    0x0b, 0x0b, // end loop, end block
  ];
  return { name, params: 3, locals: [[5, V128]], code };
}

/** Rounds: eight floats in, eight out. */
const rounding = (name: string, lanes: (offset: number) => number[]) =>
  loop(name, [...LOCAL_GET(DST), ...lanes(0), ...V128_STORE(), ...LOCAL_GET(DST), ...lanes(16), ...V128_STORE(16)], 32, 32);
/** Packs: eight floats in, eight halves (four words) out. */
const packing = (name: string, lanes: (offset: number) => number[]) =>
  loop(name, [...LOCAL_GET(DST), ...lanes(0), ...lanes(16), ...I16X8_NARROW_I32X4_U, ...V128_STORE()], 32, 16);
/** Unpacks: eight halves in, eight floats out. */
const unpacking = (name: string, lanes: number[]) =>
  loop(name, [
    ...LOCAL_GET(DST), ...LOCAL_GET(SRC), ...V128_LOAD(), ...I32X4_EXTEND_LOW_I16X8_U, ...LOCAL_SET(B), ...lanes, ...V128_STORE(),
    ...LOCAL_GET(DST), ...LOCAL_GET(SRC), ...V128_LOAD(), ...I32X4_EXTEND_HIGH_I16X8_U, ...LOCAL_SET(B), ...lanes, ...V128_STORE(16),
  ], 16, 32);

/**
 * Heap conversions; byte offsets, counts in values. Each converts only whole groups (`group`
 * values) and leaves the rest of n to the caller.
 */
export interface HeapHalf {
  /** Values per group: every count is rounded down to a multiple of it. */
  readonly group: 8;
  /** n float32 values at src rounded into dst (which may be src). */
  round(src: number, dst: number, n: number, format: HalfFormat): void;
  /** n float32 values at src into n halves at dst, two per word, 2i in the low bits. */
  pack(src: number, dst: number, n: number, format: HalfFormat): void;
  /** n halves at src into n float32 values at dst. */
  unpack(src: number, dst: number, n: number, format: HalfFormat): void;
}

const made = new WeakMap<WebAssembly.Memory, HeapHalf | null>();

/** The SIMD conversions bound to `memory`, or null where they cannot be made (no SIMD, a memory of another kind). */
export function simdHalf(memory: WebAssembly.Memory | null): HeapHalf | null {
  if (memory === null) return null;
  if (made.has(memory)) return made.get(memory)!;
  const fns = instantiate(memory, [
    rounding('round_fp16', roundFp16), rounding('round_bf16', roundBf16),
    packing('pack_fp16', packFp16), packing('pack_bf16', packBf16),
    unpacking('unpack_fp16', unpackFp16), unpacking('unpack_bf16', unpackBf16),
  ]);
  const half: HeapHalf | null = fns && {
    group: 8,
    round: (src, dst, n, format) => fns[`round_${format}`]!(src, dst, n >>> 3),
    pack: (src, dst, n, format) => fns[`pack_${format}`]!(src, dst, n >>> 3),
    unpack: (src, dst, n, format) => fns[`unpack_${format}`]!(src, dst, n >>> 3),
  };
  made.set(memory, half);
  return half;
}
