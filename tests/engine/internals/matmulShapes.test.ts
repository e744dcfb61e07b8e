import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runnerFor } from '../../../src/engine/autograd/checkpoint';
import type { Architecture } from '../../../src/engine/config';
import { createContext } from '../../../src/engine/model/context';
import { TransformerModel } from '../../../src/engine/model/model';
import { matMulFor } from '../../../src/engine/precision/autocast';
import { precisionPolicy } from '../../../src/engine/precision/policy';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { installWasmKernels } from '../../../src/engine/internals/wasmKernels';
import { routeFor, type MatMulRoute } from '../../../src/engine/internals/wasmMatMul';
import { onBackend } from '../../helpers/backends';
import { modelConfig, randomBatch } from '../autograd/models';

/*
 * Every matmul the model runs (forward and backward, every architecture, plain, recomputed
 * and under autocast) is recorded from the engine's kernel calls, then replayed on random
 * operands and compared with a float64 matmul: the fast forms (internals/wasmMatMul.ts on
 * wasm, on each of its routes) must agree to float32 rounding on every shape and transpose
 * pair they are handed, and so on the shapes that reach their edge cases.
 */

interface MatMulCall {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const key = (c: MatMulCall) => JSON.stringify(c);

/** The BatchMatMul calls of one gradient step of each architecture, deduplicated. */
function recordModelMatMuls(): MatMulCall[] {
  const engine = tf.engine() as unknown as { runKernel: (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => unknown };
  const original = engine.runKernel;
  const calls = new Map<string, MatMulCall>();
  engine.runKernel = function (name, inputs, attrs) {
    if (name === 'BatchMatMul') {
      const call = { a: inputs.a!.shape, b: inputs.b!.shape, transposeA: Boolean(attrs.transposeA), transposeB: Boolean(attrs.transposeB) };
      calls.set(key(call), call);
    }
    return original.call(this, name, inputs, attrs);
  };
  try {
    const arches: Architecture[] = ['encoder-decoder', 'decoder-only', 'encoder-only'];
    for (const arch of arches) {
      for (const [precision, checkpointing] of [['fp32', 'none'], ['fp16', 'layers']] as const) {
        const cfg = modelConfig(arch, true, { layers: 2, dModel: 16, nHeads: 2, dFF: 24, vocab: 11, maxLen: 16 });
        const model = TransformerModel.initialise(cfg, 1);
        const batch = randomBatch(cfg, arch, 3, 5, 2);
        const ctx = () => createContext({ dropoutRate: 0, dropoutSeed: { seed: 1, step: 0, firstRow: 0 }, matMul: matMulFor(precision) });
        const { loss, grads } = lossAndGrads(model, [batch], ctx, runnerFor(precisionPolicy({ precision, checkpointing })));
        tf.dispose([loss, ...grads.values()]);
        model.dispose();
      }
    }
  } finally {
    engine.runKernel = original;
  }
  return [...calls.values()];
}

/** op(a)·op(b) in float64, broadcasting a batch of one as TF.js does. */
function referenceMatMul(a: Float32Array, b: Float32Array, c: MatMulCall): { values: Float64Array; bound: Float64Array } {
  const [ar, ac] = c.a.slice(-2) as [number, number];
  const [br, bc] = c.b.slice(-2) as [number, number];
  const [m, k] = c.transposeA ? [ac, ar] : [ar, ac];
  const n = c.transposeB ? br : bc;
  const batchA = a.length / (ar * ac);
  const batchB = b.length / (br * bc);
  const batch = Math.max(batchA, batchB);
  const values = new Float64Array(batch * m * n);
  const bound = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const ao = (batchA === 1 ? 0 : p) * ar * ac;
    const bo = (batchB === 1 ? 0 : p) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let abs = 0;
        for (let l = 0; l < k; l++) {
          const x = a[ao + (c.transposeA ? l * ac + i : i * ac + l)]!;
          const y = b[bo + (c.transposeB ? j * bc + l : l * bc + j)]!;
          s += x * y;
          abs += Math.abs(x * y);
        }
        values[(p * m + i) * n + j] = s;
        // A float32 dot product of length k is within k·2⁻²⁴·Σ|xy| of the exact one, whatever its order.
        bound[(p * m + i) * n + j] = (k + 1) * 2 ** -24 * abs;
      }
    }
  }
  return { values, bound };
}

/**
 * Shapes at the SIMD kernels' edges: a single element, row and column tails of every block
 * size, a k over the chunk `nn` sums in, a batch of one on either side, both operands
 * transposed, and a batch folded into a 2-D matmul.
 */
const EDGE_CALLS: MatMulCall[] = [
  { a: [1, 1, 1], b: [1, 1, 1], transposeA: false, transposeB: false },
  { a: [3, 7, 5], b: [3, 5, 13], transposeA: false, transposeB: false },
  { a: [3, 5, 7], b: [3, 5, 13], transposeA: true, transposeB: false },
  { a: [3, 7, 5], b: [3, 13, 5], transposeA: false, transposeB: true },
  { a: [3, 5, 7], b: [3, 13, 5], transposeA: true, transposeB: true },
  { a: [1, 6, 9], b: [4, 9, 10], transposeA: false, transposeB: false },
  { a: [1, 9, 6], b: [4, 10, 9], transposeA: true, transposeB: true },
  { a: [2, 3, 6, 9], b: [9, 10], transposeA: false, transposeB: false },
  { a: [33, 300], b: [300, 21], transposeA: false, transposeB: false },
  { a: [300, 33], b: [300, 21], transposeA: true, transposeB: false },
  { a: [33, 300], b: [21, 300], transposeA: false, transposeB: true },
  { a: [300, 33], b: [21, 300], transposeA: true, transposeB: true },
];

/** The wasm backend on each route its BatchMatMul can take (threads: 1, several; no SIMD). */
const ROUTES: [string, MatMulRoute | null][] = [
  ['cpu', null],
  ['wasm, one thread', routeFor(1)],
  ['wasm, a thread pool', routeFor(4)],
  ['wasm, without SIMD', { batched: 'xnnpack', twoD: 'xnnpack' }],
];

describe.each(ROUTES)('every matmul the model runs, on %s', (_, route) => {
  it('agrees with a float64 matmul to float32 rounding, for every shape and transpose pair', async () => {
    await onBackend(route ? 'wasm' : 'cpu');
    if (route) installWasmKernels(route);
    const calls = [...recordModelMatMuls(), ...EDGE_CALLS];
    // Linear (x·Wᵀ), its gradients (dy·W, dyᵀ·x), QKᵀ, weights·V and theirs, the one-hot embedding.
    expect(calls.some((c) => !c.transposeA && c.transposeB && c.a.length === 2)).toBe(true);
    expect(calls.some((c) => c.transposeA && !c.transposeB && c.a.length === 2)).toBe(true);
    expect(calls.some((c) => c.a.length === 4 && c.transposeB)).toBe(true);
    expect(calls.some((c) => c.a.length === 4 && c.transposeA)).toBe(true);
    for (const [i, c] of calls.entries()) {
      const a = tf.randomUniform(c.a, -1, 1, 'float32', 2 * i + 1);
      const b = tf.randomUniform(c.b, -1, 1, 'float32', 2 * i + 2);
      const y = tf.matMul(a, b, c.transposeA, c.transposeB);
      const { values, bound } = referenceMatMul((await a.data()) as Float32Array, (await b.data()) as Float32Array, c);
      const got = (await y.data()) as Float32Array;
      expect(got.length, key(c)).toBe(values.length);
      const worst = got.reduce((w, v, j) => Math.max(w, Math.abs(v - values[j]!) / bound[j]!), 0);
      expect(worst, key(c)).toBeLessThanOrEqual(1);
      tf.dispose([a, b, y]);
    }
    if (route) installWasmKernels(routeFor(1));
  });
});
