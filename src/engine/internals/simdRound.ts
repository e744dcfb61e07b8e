import type { HalfFormat } from '../kernels/half/contract';

/*
 * Half rounding in WebAssembly SIMD, run on tfjs-backend-wasm's own heap: a module of two
 * functions, assembled here from opcodes, that imports the backend's memory
 * (`backend.wasm.asm.memory`, TF.js 4.22 internals, pinned by tests) and rounds four float32
 * values at a time, ties to even, exactly as bits.ts's loops do. It is several times faster than
 * the JS loop, which stays for the tail of each tensor and wherever the module cannot be made.
 */

/** Unsigned LEB128, the encoding of every count and index in a wasm module. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (s: string) => [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// Opcodes (core and the 0xfd SIMD prefix).
const SIMD = (op: number) => [0xfd, ...leb(op)];
const LOCAL_GET = (i: number) => [0x20, i];
const LOCAL_SET = (i: number) => [0x21, i];
const LOCAL_TEE = (i: number) => [0x22, i];
const I32_CONST = (v: number) => [0x41, ...sleb(v)];
const V128_LOAD = [...SIMD(0x00), 4, 0]; // align 2^4, offset 0
const V128_STORE = [...SIMD(0x0b), 4, 0];
const I32X4_SPLAT = SIMD(0x11);
const I32X4_GT_S = SIMD(0x3b);
const I32X4_LE_S = SIMD(0x3d);
const I32X4_GE_S = SIMD(0x3f);
const V128_AND = SIMD(0x4e);
const V128_OR = SIMD(0x50);
const V128_BITSELECT = SIMD(0x52);
const I32X4_SHR_U = SIMD(0xad);
const I32X4_ADD = SIMD(0xae);
const F32X4_ADD = SIMD(0xe4);
const F32X4_SUB = SIMD(0xe5);

/** Signed LEB128 (i32.const takes its immediate signed). */
function sleb(v: number): number[] {
  const out: number[] = [];
  v |= 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const splat = (v: number) => [...I32_CONST(v), ...I32X4_SPLAT];
const splatF32 = (v: number) => splat(new Int32Array(new Float32Array([v]).buffer)[0]!);

// Parameters: 0 src byte offset, 1 dst byte offset, 2 count of 4-lane vectors. Locals: 3 b, 4 a, 5 sign.
const [SRC, DST, N, B, A, SIGN] = [0, 1, 2, 3, 4, 5];

/** b, a = b & 0x7fffffff and sign = b & 0x80000000 for the vector at src. */
const loadLanes = [
  ...LOCAL_GET(SRC), ...V128_LOAD, ...LOCAL_TEE(B),
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
  ...V128_STORE,
];

const bf16Lanes = [
  ...LOCAL_GET(DST),
  ...LOCAL_GET(B),
  ...LOCAL_GET(B), ...splat(0x7fff), ...I32X4_ADD,
  ...LOCAL_GET(B), ...I32_CONST(16), ...I32X4_SHR_U, ...splat(1), ...V128_AND, ...I32X4_ADD,
  ...splat(~0xffff), ...V128_AND,
  ...LOCAL_GET(A), ...splat(0x7f800000), ...I32X4_GT_S, ...V128_BITSELECT,
  ...V128_STORE,
];

/** while (n--) { lanes(src); src += 16; dst += 16 } */
function loopBody(lanes: number[]): number[] {
  const advance = (i: number) => [...LOCAL_GET(i), ...I32_CONST(16), 0x6a /* i32.add */, ...LOCAL_SET(i)];
  const code = [
    0x02, 0x40, // block
    ...LOCAL_GET(N), 0x45 /* i32.eqz */, 0x0d, 0 /* br_if block */,
    0x03, 0x40, // loop
    ...loadLanes, ...lanes, ...advance(SRC), ...advance(DST),
    ...LOCAL_GET(N), ...I32_CONST(1), 0x6b /* i32.sub */, ...LOCAL_TEE(N), 0x0d, 0 /* br_if loop */,
    0x0b, 0x0b, 0x0b, // end loop, end block, end function
  ];
  const locals = vec([[3, 0x7b /* v128 */]]);
  const body = [...locals, ...code];
  return [...leb(body.length), ...body];
}

function moduleBytes(memory: WebAssembly.Memory): Uint8Array<ArrayBuffer> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const pages = memory.buffer.byteLength / 65536;
  // A shared memory must be imported as shared with a maximum; the wasm backend's is 2^16 pages.
  const limits = shared ? [0x03, ...leb(0), ...leb(Math.max(pages, 65536))] : [0x00, ...leb(0)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 3, 0x7f, 0x7f, 0x7f, 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec([[0], [0]])),
    ...section(7, vec([[...name('fp16'), 0x00, 0], [...name('bf16'), 0x00, 1]])),
    ...section(10, vec([loopBody(fp16Lanes), loopBody(bf16Lanes)])),
  ]);
}

/** Rounds n float32 values at byte offset `src` of the heap into `dst` (which may be src). */
export type HeapRound = (src: number, dst: number, n: number, format: HalfFormat) => void;

const made = new WeakMap<WebAssembly.Memory, HeapRound | null>();

/**
 * The backend's heap as a WebAssembly.Memory: `asm.memory` in the plain builds, `wasmMemory`
 * in the threaded one (whose memory is shared with its workers); null if neither is there.
 */
export function heapMemory(module: unknown): WebAssembly.Memory | null {
  const m = module as { asm?: { memory?: unknown }; wasmMemory?: unknown };
  const memory = m.asm?.memory ?? m.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * The SIMD rounding bound to `memory`, or null where it cannot be made (no SIMD, a memory of
 * another kind). Only whole vectors are rounded here: the caller rounds the last n % 4.
 */
export function simdRound(memory: WebAssembly.Memory | null): HeapRound | null {
  if (memory === null) return null;
  if (made.has(memory)) return made.get(memory)!;
  let round: HeapRound | null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(memory)), { env: { memory } });
    const fns = instance.exports as Record<HalfFormat, (src: number, dst: number, vectors: number) => void>;
    round = (src, dst, n, format) => fns[format](src, dst, n >>> 2);
  } catch {
    round = null;
  }
  made.set(memory, round);
  return round;
}
