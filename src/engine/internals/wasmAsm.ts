import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/*
 * A few words of WebAssembly, enough to assemble the engine's small SIMD kernels (simdHalf.ts,
 * simdMatMul.ts, simdFinite.ts) in TypeScript: no build step and no binary in the repository.
 * Every kernel module imports tfjs-backend-wasm's own heap as its memory, so it works on tensors
 * where they lie.
 */

/** Unsigned LEB128, the encoding of every count and index in a wasm module. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

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

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (s: string) => [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

export const I32 = 0x7f;
export const V128 = 0x7b;

// Core opcodes.
export const LOCAL_GET = (i: number) => [0x20, ...leb(i)];
export const LOCAL_SET = (i: number) => [0x21, ...leb(i)];
export const LOCAL_TEE = (i: number) => [0x22, ...leb(i)];
export const I32_CONST = (v: number) => [0x41, ...sleb(v)];
export const I32_ADD = [0x6a];
export const I32_SUB = [0x6b];
export const I32_MUL = [0x6c];
export const I32_GE_S = [0x4e];
export const I32_LT_S = [0x48];
export const F32_ADD = [0x92];
/** f32.load / f32.store with a static byte offset added to the address on the stack. */
export const F32_LOAD = (offset = 0) => [0x2a, 2, ...leb(offset)];
export const F32_STORE = (offset = 0) => [0x38, 2, ...leb(offset)];

// SIMD opcodes (the 0xfd prefix).
const SIMD = (op: number) => [0xfd, ...leb(op)];
export const V128_LOAD = (offset = 0) => [...SIMD(0x00), 4, ...leb(offset)];
export const V128_STORE = (offset = 0) => [...SIMD(0x0b), 4, ...leb(offset)];
/** v128.const of four equal i32 lanes (a constant in the code, not a splat at run time). */
export const I32X4_CONST = (v: number) => [...SIMD(0x0c), ...[0, 1, 2, 3].flatMap(() => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff])];
export const F32X4_SPLAT = SIMD(0x13);
export const F32X4_EXTRACT_LANE = (lane: number) => [...SIMD(0x1f), lane];
export const I32X4_EQ = SIMD(0x37);
export const I32X4_GT_S = SIMD(0x3b);
export const I32X4_GE_S = SIMD(0x3f);
export const V128_AND = SIMD(0x4e);
export const V128_OR = SIMD(0x50);
export const V128_BITSELECT = SIMD(0x52);
export const V128_ANY_TRUE = SIMD(0x53);
export const I32X4_SHR_U = SIMD(0xad);
export const I16X8_NARROW_I32X4_U = SIMD(0x86);
export const I32X4_EXTEND_LOW_I16X8_U = SIMD(0xa9);
export const I32X4_EXTEND_HIGH_I16X8_U = SIMD(0xaa);
export const I32X4_SHL = SIMD(0xab);
export const I32X4_ADD = SIMD(0xae);
export const I32X4_SUB = SIMD(0xb1);
export const I32X4_MIN_S = SIMD(0xb6);
export const I32X4_MAX_S = SIMD(0xb8);
export const F32X4_ADD = SIMD(0xe4);
export const F32X4_SUB = SIMD(0xe5);
export const F32X4_MUL = SIMD(0xe6);

/** `while (cond) body`, with `cond` leaving an i32 on the stack. */
export const whileLoop = (cond: number[], body: number[]) => [
  0x02, 0x40, // block
  0x03, 0x40, // loop
  ...cond, 0x45 /* i32.eqz */, 0x0d, 1, // br_if out of the block
  ...body,
  0x0c, 0, // br to the loop
  0x0b, 0x0b, // end loop, end block
];

/** local += delta (i32). */
export const addTo = (local: number, delta: number[]) => [...LOCAL_GET(local), ...delta, ...I32_ADD, ...LOCAL_SET(local)];

export interface WasmFunction {
  name: string;
  /** How many i32 parameters it takes. */
  params: number;
  /** Whether it returns an i32 (else nothing). */
  returnsI32?: boolean;
  /** Its extra locals, as [count, type] runs. */
  locals: [number, number][];
  code: number[];
}

function moduleBytes(memory: WebAssembly.Memory, fns: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const pages = memory.buffer.byteLength / 65536;
  // A shared memory must be imported as shared with a maximum; the wasm backend's is 2^16 pages.
  const limits = shared ? [0x03, ...leb(0), ...leb(Math.max(pages, 65536))] : [0x00, ...leb(0)];
  const types = fns.map((f) => [0x60, ...leb(f.params), ...new Array<number>(f.params).fill(I32), ...(f.returnsI32 ? [1, I32] : [0])]);
  const body = (f: WasmFunction) => {
    const b = [...vec(f.locals.map(([n, t]) => [...leb(n), t])), ...f.code, 0x0b];
    return [...leb(b.length), ...b];
  };
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(fns.map((_, i) => leb(i)))),
    ...section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(fns.map(body))),
  ]);
}

/**
 * The functions instantiated over `memory`, by name; null where the module cannot be made
 * (no SIMD in this engine, a memory of another kind).
 */
export function instantiate(memory: WebAssembly.Memory, fns: WasmFunction[]): Record<string, (...args: number[]) => number> | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(memory, fns)), { env: { memory } });
    return instance.exports as Record<string, (...args: number[]) => number>;
  } catch {
    return null;
  }
}

/** The heap's byte offset of a tensor's data (TF.js internals, as typedArrayFromHeap reads it). */
export const heapOffset = (wasm: BackendWasm, t: TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset as number;

/** A view of a 32-bit tensor's bits where they lie on the heap (valid until the heap grows). */
export function heapBits(wasm: BackendWasm, t: TensorInfo): Uint32Array {
  const v = wasm.typedArrayFromHeap(t);
  return new Uint32Array(v.buffer, v.byteOffset, v.length);
}

/**
 * The backend's heap as a WebAssembly.Memory: `asm.memory` in the plain builds, `wasmMemory`
 * in the threaded one (whose memory is shared with its workers); null if neither is there.
 */
export function heapMemory(module: unknown): WebAssembly.Memory | null {
  const m = module as { asm?: { memory?: unknown }; wasmMemory?: unknown };
  const memory = m.asm?.memory ?? m.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}
