import {
  addTo, F32_ADD, F32_LOAD, F32_STORE, F32X4_ADD, F32X4_EXTRACT_LANE, F32X4_MUL, F32X4_SPLAT, I32, I32_ADD, I32_CONST, I32_GE_S,
  I32_LT_S, I32_MUL, I32_SUB, instantiate, LOCAL_GET, LOCAL_SET, V128, V128_LOAD, V128_STORE, whileLoop, type WasmFunction,
} from './wasmAsm';

/*
 * Batched matmuls of small slices (attention: [B·heads, T, dHead] operands) in WebAssembly SIMD,
 * on tfjs-backend-wasm's own heap. XNNPACK makes an operator and packs its right operand for
 * every slice, which costs more than a small slice's arithmetic; these two functions run the whole
 * batch in one call, reading the operands where they lie:
 *
 * - `nn`: C[p] += A[p]·B[p], B row-major. A is read one element at a time through two strides,
 *   so a transposed A costs nothing. Blocks of 4 rows × 8 columns keep 8 vector accumulators.
 *   It adds into C so that a caller can sum over k in chunks that stay in cache.
 * - `nt`: C[p] = A[p]·B[p]ᵀ, both row-major: dot products along the shared axis, in blocks of
 *   2 rows × 4 columns of C.
 *
 * Each output element is one float32 sum over the shared axis, in order for `nn` and in four
 * interleaved partial sums for `nt`, as XNNPACK accumulates: within float32 rounding of the
 * exact dot product (tests/engine/internals/matmulShapes.test.ts).
 */

/** Byte offsets of the operands, counts, and byte strides; a batch stride of 0 shares one slice. */
export interface SliceBatch {
  a: number;
  b: number;
  c: number;
  batch: number;
  aBatchStride: number;
  bBatchStride: number;
  m: number;
  k: number;
  n: number;
}

export interface SimdMatMul {
  /** C += op(A)·B with op(A)[i, l] at a + i·rowStrideA + l·colStrideA (bytes). */
  nn(s: SliceBatch, rowStrideA: number, colStrideA: number): void;
  /** C = A·Bᵀ, A [m, k] and B [n, k] row-major. */
  nt(s: SliceBatch): void;
}

// Parameters shared by both functions, then each one's own.
const [A, B, C, BATCH, A_BATCH, B_BATCH, M, K, N] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

const zero = [0x43, 0, 0, 0, 0, ...F32X4_SPLAT]; // f32.const 0, splat
/** v128.load32_zero: lane 0 from memory, the others zero (a tail element adds to one lane only). */
const LOAD32_ZERO = [0xfd, 0x5c, 2, 0];
const get = LOCAL_GET;
const set = LOCAL_SET;
/** The i32 a − b ≥ c, or a < b. */
const atLeast = (a: number, b: number, c: number) => [...get(a), ...get(b), ...I32_SUB, ...I32_CONST(c), ...I32_GE_S];
const below = (a: number, b: number) => [...get(a), ...get(b), ...I32_LT_S];
/** An address: local base, plus local offset (or nothing for 0). */
const at = (base: number, offset: number | null) => (offset === null ? get(base) : [...get(base), ...get(offset), ...I32_ADD]);

/** The loop over the batch around `rows`, advancing every operand by its batch stride. */
function overBatch(rows: number[], cBatchBytes: number[]): number[] {
  return whileLoop(get(BATCH), [
    ...rows,
    ...addTo(A, get(A_BATCH)),
    ...addTo(B, get(B_BATCH)),
    ...addTo(C, cBatchBytes),
    ...addTo(BATCH, I32_CONST(-1)),
  ]);
}

function nnFunction(): WasmFunction {
  const [ROW_A, COL_A] = [9, 10];
  const [I, J, L, A_PTR, B_PTR, A_ROW, C_ROW, N_BYTES, N2, N3, ROW2, ROW3] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const ACC = 23; // 8 accumulators, then 2 columns of B, then one splat of A
  const BV = ACC + 8;
  const AV = BV + 2;
  const rowOffset = [null, ROW_A, ROW2, ROW3];
  const cRowOffset = [null, N_BYTES, N2, N3];

  /** R rows × V vectors of 4 columns (V = 0: one column, a scalar tail). */
  const block = (R: number, V: number) => {
    const vs = Math.max(V, 1);
    const acc = (r: number, v: number) => ACC + r * vs + v;
    const code: number[] = [];
    // acc = C[i + r, j …]: C starts at zero, and a call over one chunk of k adds to it.
    for (let r = 0; r < R; r++) {
      for (let v = 0; v < vs; v++) {
        code.push(...at(C_ROW, cRowOffset[r]!), ...get(J), ...I32_CONST(4), ...I32_MUL, ...I32_ADD);
        code.push(...(V === 0 ? [...F32_LOAD(), ...F32X4_SPLAT] : V128_LOAD(16 * v)), ...set(acc(r, v)));
      }
    }
    code.push(...get(A_ROW), ...set(A_PTR));
    code.push(...get(B), ...get(J), ...I32_CONST(4), ...I32_MUL, ...I32_ADD, ...set(B_PTR));
    code.push(...get(K), ...set(L));
    const step: number[] = [];
    for (let v = 0; v < vs; v++) step.push(...get(B_PTR), ...(V === 0 ? [...F32_LOAD(), ...F32X4_SPLAT] : V128_LOAD(16 * v)), ...set(BV + v));
    for (let r = 0; r < R; r++) {
      step.push(...at(A_PTR, rowOffset[r]!), ...F32_LOAD(), ...F32X4_SPLAT, ...set(AV));
      for (let v = 0; v < vs; v++) step.push(...get(acc(r, v)), ...get(AV), ...get(BV + v), ...F32X4_MUL, ...F32X4_ADD, ...set(acc(r, v)));
    }
    step.push(...addTo(A_PTR, get(COL_A)), ...addTo(B_PTR, get(N_BYTES)), ...addTo(L, I32_CONST(-1)));
    code.push(...whileLoop(get(L), step));
    // C[i + r, j …] = acc
    for (let r = 0; r < R; r++) {
      for (let v = 0; v < vs; v++) {
        code.push(...at(C_ROW, cRowOffset[r]!), ...get(J), ...I32_CONST(4), ...I32_MUL, ...I32_ADD, ...get(acc(r, v)));
        code.push(...(V === 0 ? [...F32X4_EXTRACT_LANE(0), ...F32_STORE()] : V128_STORE(16 * v)));
      }
    }
    return code;
  };

  const rowBlock = (R: number) => [
    ...get(A), ...get(I), ...get(ROW_A), ...I32_MUL, ...I32_ADD, ...set(A_ROW),
    ...get(C), ...get(I), ...get(N_BYTES), ...I32_MUL, ...I32_ADD, ...set(C_ROW),
    ...I32_CONST(0), ...set(J),
    ...whileLoop(atLeast(N, J, 8), [...block(R, 2), ...addTo(J, I32_CONST(8))]),
    ...whileLoop(atLeast(N, J, 4), [...block(R, 1), ...addTo(J, I32_CONST(4))]),
    ...whileLoop(below(J, N), [...block(R, 0), ...addTo(J, I32_CONST(1))]),
  ];

  const code = [
    ...get(N), ...I32_CONST(4), ...I32_MUL, ...set(N_BYTES),
    ...get(N_BYTES), ...I32_CONST(2), ...I32_MUL, ...set(N2),
    ...get(N_BYTES), ...I32_CONST(3), ...I32_MUL, ...set(N3),
    ...get(ROW_A), ...I32_CONST(2), ...I32_MUL, ...set(ROW2),
    ...get(ROW_A), ...I32_CONST(3), ...I32_MUL, ...set(ROW3),
    ...overBatch(
      [
        ...I32_CONST(0), ...set(I),
        ...whileLoop(atLeast(M, I, 4), [...rowBlock(4), ...addTo(I, I32_CONST(4))]),
        ...whileLoop(below(I, M), [...rowBlock(1), ...addTo(I, I32_CONST(1))]),
      ],
      [...get(M), ...get(N_BYTES), ...I32_MUL],
    ),
  ];
  return { name: 'nn', params: 11, locals: [[12, I32], [11, V128]], code };
}

function ntFunction(): WasmFunction {
  const [I, J, L, A_PTR, B_PTR, A_ROW, C_ROW, N_BYTES, K_BYTES, K2, K3] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const ACC = 20; // 2 × 4 accumulators, then 2 rows of A, then 4 rows of B
  const AV = ACC + 8;
  const BV = AV + 2;
  const kOffset = [null, K_BYTES, K2, K3];

  /** R rows × S columns of C, each a dot product along k. */
  const block = (R: number, S: number) => {
    const acc = (r: number, s: number) => ACC + r * S + s;
    const code: number[] = [];
    for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) code.push(...zero, ...set(acc(r, s)));
    code.push(...get(A_ROW), ...set(A_PTR));
    code.push(...get(B), ...get(J), ...get(K_BYTES), ...I32_MUL, ...I32_ADD, ...set(B_PTR));
    code.push(...get(K), ...set(L));
    const step = (load: number[], width: number) => {
      const body: number[] = [];
      for (let r = 0; r < R; r++) body.push(...at(A_PTR, kOffset[r]!), ...load, ...set(AV + r));
      for (let s = 0; s < S; s++) body.push(...at(B_PTR, kOffset[s]!), ...load, ...set(BV + s));
      for (let r = 0; r < R; r++) {
        for (let s = 0; s < S; s++) body.push(...get(acc(r, s)), ...get(AV + r), ...get(BV + s), ...F32X4_MUL, ...F32X4_ADD, ...set(acc(r, s)));
      }
      body.push(...addTo(A_PTR, I32_CONST(4 * width)), ...addTo(B_PTR, I32_CONST(4 * width)), ...addTo(L, I32_CONST(-width)));
      return body;
    };
    code.push(...whileLoop([...get(L), ...I32_CONST(4), ...I32_GE_S], step(V128_LOAD(), 4)));
    code.push(...whileLoop(get(L), step(LOAD32_ZERO, 1)));
    // C[i + r, j + s] = the sum of acc's four lanes
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < S; s++) {
        const lane = (i: number) => [...get(acc(r, s)), ...F32X4_EXTRACT_LANE(i)];
        code.push(...at(C_ROW, r === 0 ? null : N_BYTES), ...get(J), ...I32_CONST(4), ...I32_MUL, ...I32_ADD);
        code.push(...lane(0), ...lane(1), ...F32_ADD, ...lane(2), ...lane(3), ...F32_ADD, ...F32_ADD, ...F32_STORE(4 * s));
      }
    }
    return code;
  };

  const rowBlock = (R: number) => [
    ...get(A), ...get(I), ...get(K_BYTES), ...I32_MUL, ...I32_ADD, ...set(A_ROW),
    ...get(C), ...get(I), ...get(N_BYTES), ...I32_MUL, ...I32_ADD, ...set(C_ROW),
    ...I32_CONST(0), ...set(J),
    ...whileLoop(atLeast(N, J, 4), [...block(R, 4), ...addTo(J, I32_CONST(4))]),
    ...whileLoop(below(J, N), [...block(R, 1), ...addTo(J, I32_CONST(1))]),
  ];

  const code = [
    ...get(N), ...I32_CONST(4), ...I32_MUL, ...set(N_BYTES),
    ...get(K), ...I32_CONST(4), ...I32_MUL, ...set(K_BYTES),
    ...get(K_BYTES), ...I32_CONST(2), ...I32_MUL, ...set(K2),
    ...get(K_BYTES), ...I32_CONST(3), ...I32_MUL, ...set(K3),
    ...overBatch(
      [
        ...I32_CONST(0), ...set(I),
        ...whileLoop(atLeast(M, I, 2), [...rowBlock(2), ...addTo(I, I32_CONST(2))]),
        ...whileLoop(below(I, M), [...rowBlock(1), ...addTo(I, I32_CONST(1))]),
      ],
      [...get(M), ...get(N_BYTES), ...I32_MUL],
    ),
  ];
  return { name: 'nt', params: 9, locals: [[11, I32], [14, V128]], code };
}

const made = new WeakMap<WebAssembly.Memory, SimdMatMul | null>();

/** The kernels bound to `memory` (the backend's heap), or null where they cannot be made. */
export function simdMatMul(memory: WebAssembly.Memory | null): SimdMatMul | null {
  if (memory === null) return null;
  if (made.has(memory)) return made.get(memory)!;
  const fns = instantiate(memory, [nnFunction(), ntFunction()]);
  const kernels: SimdMatMul | null = fns && {
    nn: (s, rowStrideA, colStrideA) => fns.nn!(s.a, s.b, s.c, s.batch, s.aBatchStride, s.bBatchStride, s.m, s.k, s.n, rowStrideA, colStrideA),
    nt: (s) => fns.nt!(s.a, s.b, s.c, s.batch, s.aBatchStride, s.bBatchStride, s.m, s.k, s.n),
  };
  made.set(memory, kernels);
  return kernels;
}
