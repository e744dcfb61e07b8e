import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createContext, rowUniforms, siteRowKeys } from '../../../src/engine/model/context';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';

/** The values of `values` (shape `from`) at the positions of a smaller shape `to`, row-major. */
function crop(values: Float32Array, from: number[], to: number[]): number[] {
  const out: number[] = [];
  const walk = (axis: number, offset: number) => {
    if (axis === to.length) return void out.push(values[offset]!);
    const stride = from.slice(axis + 1).reduce((n, s) => n * s, 1);
    for (let i = 0; i < to[axis]!; i++) walk(axis + 1, offset + i * stride);
  };
  walk(0, 0);
  return out;
}

describe('per-row dropout streams', () => {
  const keys = siteRowKeys({ seed: 3, step: 5, firstRow: 0 }, 'transformer.layers.0.self_attn.attn', 6);

  it('a row draws the same numbers at the same positions however far the batch is padded', () => {
    const padded = rowUniforms([6, 3, 9, 9], keys); // [rows, heads, Tq, Tk]
    const tight = rowUniforms([6, 3, 5, 7], keys);
    expect(Array.from(tight)).toEqual(crop(padded, [6, 3, 9, 9], [6, 3, 5, 7]));
  });

  it('a row draws the same numbers whichever micro-batch holds it: its key is its index in the whole batch', () => {
    const whole = rowUniforms([6, 4, 8], keys);
    const tail = siteRowKeys({ seed: 3, step: 5, firstRow: 4 }, 'transformer.layers.0.self_attn.attn', 2);
    expect(Array.from(rowUniforms([2, 4, 8], tail))).toEqual(Array.from(whole.subarray(4 * 32)));
    // Another site, step or seed is another stream.
    for (const other of [
      siteRowKeys({ seed: 3, step: 5, firstRow: 0 }, 'transformer.layers.0.ff', 6),
      siteRowKeys({ seed: 3, step: 6, firstRow: 0 }, 'transformer.layers.0.self_attn.attn', 6),
      siteRowKeys({ seed: 4, step: 5, firstRow: 0 }, 'transformer.layers.0.self_attn.attn', 6),
    ]) {
      const same = rowUniforms([6, 4, 8], other).filter((v, i) => v === whole[i]).length;
      expect(same).toBeLessThan(3);
    }
  });

  it('is uniform on [0, 1): mean, variance, deciles and neighbours as independent draws give', () => {
    const u = rowUniforms([64, 32, 128], siteRowKeys({ seed: 1, step: 0, firstRow: 0 }, 'x', 64)); // 262,144 draws
    const n = u.length;
    let sum = 0;
    let squares = 0;
    let lag = 0;
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      expect(u[i]! >= 0 && u[i]! < 1).toBe(true);
      sum += u[i]!;
      squares += u[i]! ** 2;
      deciles[Math.floor(u[i]! * 10)]!++;
      if (i > 0) lag += (u[i]! - 0.5) * (u[i - 1]! - 0.5);
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.003); // 5 standard errors
    expect(Math.abs(squares / n - mean ** 2 - 1 / 12)).toBeLessThan(0.002);
    const chi2 = deciles.reduce((c, k) => c + (k - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9); // 9 degrees of freedom, p = 0.001
    expect(Math.abs(lag / n / (1 / 12))).toBeLessThan(0.01); // lag-1 correlation, 5 standard errors
  });

  it.each(NODE_BACKENDS)('drops a share p of the elements and scales the rest by 1/(1 − p) (%s)', async (backend) => {
    await onBackend(backend);
    const ctx = createContext({ dropoutRate: 0.25, dropoutSeed: { seed: 9, step: 2, firstRow: 0 } });
    const y = tf.tidy(() => ctx.dropout(tf.ones([16, 64, 64]), 'embed'));
    const values = await y.data();
    y.dispose();
    const kept = Array.from(values).filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(Math.abs(1 - kept.length / values.length - 0.25)).toBeLessThan(0.005);
  });
});
