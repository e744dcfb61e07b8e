import type { HalfFormat } from '../kernels/half/contract';
import {
  F32X4_ADD, F32X4_SUB, I32_ADD, I32_CONST, I32_SUB, I32X4_ADD, I32X4_GE_S, I32X4_GT_S, I32X4_LE_S, I32X4_SHR_U, I32X4_SPLAT,
  instantiate, LOCAL_GET, LOCAL_SET, LOCAL_TEE, V128, V128_AND, V128_BITSELECT, V128_LOAD, V128_OR, V128_STORE,
  type WasmFunction,
} from './wasmAsm';

/*
 * Half rounding in WebAssembly SIMD, run on tfjs-backend-wasm's own heap: a module of two
 * functions, assembled here from opcodes (wasmAsm.ts), that imports the backend's memory
 * (TF.js 4.22 internals, pinned by tests) and rounds four float32
 * values at a time, ties to even, exactly as bits.ts's loops do. It is several times faster than
 * the JS loop, which stays for the tail of each tensor and wherever the module cannot be made.
 */

const splat = (v: number) => [...I32_CONST(v), ...I32X4_SPLAT];
const splatF32 = (v: number) => splat(new Int32Array(new Float32Array([v]).buffer)[0]!);

// Parameters: 0 src byte offset, 1 dst byte offset, 2 count of 4-lane vectors. Locals: 3 b, 4 a, 5 sign.
const [SRC, DST, N, B, A, SIGN] = [0, 1, 2, 3, 4, 5];

/** b, a = b & 0x7fffffff and sign = b & 0x80000000 for the vector at src. */
const loadLanes = [
  ...LOCAL_GET(SRC), ...V128_LOAD(), ...LOCAL_TEE(B),
  ...splat(0x7fffffff), ...V128_AND, ...LOCAL_SET(A),
  ...LOCAL_GET(B), ...splat(-0x80000000), ...V128_AND, ...LOCAL_SET(SIGN),
];

/** The fp16 rounding of the lanes in b / a / sign, left on the stack (see bits.ts for each case). */
const fp16Lanes = [
  ...LOCAL_GET(DST),
  // NaN: b itself.
  ...LOCAL_GET(B),
  // Beyond 65504 + half a step: ±inf.
  ...LOCAL_GET(SIGN), ...splat(0x7f800000), ...V128_OR,
  // Normal: (a + 0xfff + ((a >>> 13) & 1)) & ~0x1fff, with the sign.
  ...LOCAL_GET(A), ...splat(0xfff), ...I32X4_ADD,
  ...LOCAL_GET(A), ...I32_CONST(13), ...I32X4_SHR_U, ...splat(1), ...V128_AND, ...I32X4_ADD,
  ...splat(~0x1fff), ...V128_AND, ...LOCAL_GET(SIGN), ...V128_OR,
  // At or below half the smallest subnormal: ±0; otherwise subnormal, (|x| + 0.75) − 0.75.
  ...LOCAL_GET(SIGN),
  ...LOCAL_GET(A), ...splatF32(0.75), ...F32X4_ADD, ...splatF32(0.75), ...F32X4_SUB, ...LOCAL_GET(SIGN), ...V128_OR,
  ...LOCAL_GET(A), ...splat(0x33000000), ...I32X4_LE_S, ...V128_BITSELECT,
  ...LOCAL_GET(A), ...splat(0x38800000), ...I32X4_GE_S, ...V128_BITSELECT,
  ...LOCAL_GET(A), ...splat(0x477ff000), ...I32X4_GE_S, ...V128_BITSELECT,
  ...LOCAL_GET(A), ...splat(0x7f800000), ...I32X4_GT_S, ...V128_BITSELECT,
  ...V128_STORE(),
];

const bf16Lanes = [
  ...LOCAL_GET(DST),
  ...LOCAL_GET(B),
  ...LOCAL_GET(B), ...splat(0x7fff), ...I32X4_ADD,
  ...LOCAL_GET(B), ...I32_CONST(16), ...I32X4_SHR_U, ...splat(1), ...V128_AND, ...I32X4_ADD,
  ...splat(~0xffff), ...V128_AND,
  ...LOCAL_GET(A), ...splat(0x7f800000), ...I32X4_GT_S, ...V128_BITSELECT,
  ...V128_STORE(),
];

/** while (n--) { lanes(src); src += 16; dst += 16 } */
function roundLoop(name: string, lanes: number[]): WasmFunction {
  const advance = (i: number) => [...LOCAL_GET(i), ...I32_CONST(16), ...I32_ADD, ...LOCAL_SET(i)];
  const code = [
    0x02, 0x40, // block
    ...LOCAL_GET(N), 0x45 /* i32.eqz */, 0x0d, 0 /* br_if block */,
    0x03, 0x40, // loop
    ...loadLanes, ...lanes, ...advance(SRC), ...advance(DST),
    ...LOCAL_GET(N), ...I32_CONST(1), ...I32_SUB, ...LOCAL_TEE(N), 0x0d, 0 /* br_if loop */,
    0x0b, 0x0b, // end loop, end block
  ];
  return { name, params: 3, locals: [[3, V128]], code };
}

/** Rounds n float32 values at byte offset `src` of the heap into `dst` (which may be src). */
export type HeapRound = (src: number, dst: number, n: number, format: HalfFormat) => void;

const made = new WeakMap<WebAssembly.Memory, HeapRound | null>();

/**
 * The SIMD rounding bound to `memory`, or null where it cannot be made (no SIMD, a memory of
 * another kind). Only whole vectors are rounded here: the caller rounds the last n % 4.
 */
export function simdRound(memory: WebAssembly.Memory | null): HeapRound | null {
  if (memory === null) return null;
  if (made.has(memory)) return made.get(memory)!;
  const fns = instantiate(memory, [roundLoop('fp16', fp16Lanes), roundLoop('bf16', bf16Lanes)]);
  const round: HeapRound | null = fns && ((src, dst, n, format) => fns[format]!(src, dst, n >>> 2));
  made.set(memory, round);
  return round;
}
