import {
  I32_ADD, I32_CONST, I32_SUB, I32X4_CONST, I32X4_EQ, instantiate, LOCAL_GET, LOCAL_SET, LOCAL_TEE, V128, V128_AND,
  V128_ANY_TRUE, V128_LOAD, V128_OR, type WasmFunction,
} from './wasmAsm';

/*
 * The finiteness scan in WebAssembly SIMD, on tfjs-backend-wasm's own heap (as simdHalf.ts):
 * whether any of n float32 values is an infinity or a NaN, that is, has every exponent bit set.
 * The loss scaler asks it of every gradient of every step.
 */

const EXPONENT = 0x7f800000;
// Parameters: 0 src byte offset, 1 count of groups. Local: 2 the lanes seen non-finite so far.
const [SRC, N, SEEN] = [0, 1, 2];

/** seen |= (the exponent bits of the four values at src + offset all set), lane by lane. */
const scan = (offset: number) => [
  ...LOCAL_GET(SEEN),
  ...LOCAL_GET(SRC), ...V128_LOAD(offset), ...I32X4_CONST(EXPONENT), ...V128_AND, ...I32X4_CONST(EXPONENT), ...I32X4_EQ,
  ...V128_OR, ...LOCAL_SET(SEEN),
];

/** for (; n; n--, src += 32) scan eight values; then whether any lane was seen. No early exit: gradients are finite nearly always. */
const nonFinite: WasmFunction = {
  name: 'non_finite',
  params: 2,
  returnsI32: true,
  locals: [[1, V128]],
  code: [
    0x02, 0x40, // block
    ...LOCAL_GET(N), 0x45 /* i32.eqz */, 0x0d, 0 /* br_if block */,
    0x03, 0x40, // loop
    ...scan(0), ...scan(16),
    ...LOCAL_GET(SRC), ...I32_CONST(32), ...I32_ADD, ...LOCAL_SET(SRC),
    ...LOCAL_GET(N), ...I32_CONST(1), ...I32_SUB, ...LOCAL_TEE(N), 0x0d, 0 /* br_if loop */,
    0x0b, 0x0b, // end loop, end block
    ...LOCAL_GET(SEEN), ...V128_ANY_TRUE,
  ],
};

/** The scan over whole groups of values; the caller checks the rest of n. */
export interface HeapFinite {
  /** Values per group: counts are rounded down to a multiple of it. */
  readonly group: 8;
  /** Whether any of the n float32 values at byte offset src is an infinity or a NaN. */
  hasNonFinite(src: number, n: number): boolean;
}

const made = new WeakMap<WebAssembly.Memory, HeapFinite | null>();

/** The scan bound to `memory`, or null where it cannot be made (no SIMD, a memory of another kind). */
export function simdFinite(memory: WebAssembly.Memory | null): HeapFinite | null {
  if (memory === null) return null;
  if (made.has(memory)) return made.get(memory)!;
  const fns = instantiate(memory, [nonFinite]);
  const finite: HeapFinite | null = fns && {
    group: 8,
    hasNonFinite: (src, n) => fns.non_finite!(src, n >>> 3) !== 0,
  };
  made.set(memory, finite);
  return finite;
}
