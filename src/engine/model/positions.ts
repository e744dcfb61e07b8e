import * as tf from '@tensorflow/tfjs';

const tables = new Map<string, Float32Array>();

/** P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(...), computed as the reference does (float32 divisors). */
export function sinusoidalValues(length: number, d: number): Float32Array {
  const key = `${length}x${d}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const values = new Float32Array(length * d);
  for (let i = 0; i < d; i += 2) {
    const div = Math.fround(Math.exp(Math.fround(i * Math.fround(-Math.log(10000) / d))));
    for (let p = 0; p < length; p++) {
      const angle = Math.fround(p * div);
      values[p * d + i] = Math.sin(angle);
      if (i + 1 < d) values[p * d + i + 1] = Math.cos(angle);
    }
  }
  tables.set(key, values);
  return values;
}

/** [T, d] table as a tensor; the values are cached, the tensor belongs to the caller's scope. */
export function positionTable(length: number, d: number): tf.Tensor2D {
  return tf.tensor2d(sinusoidalValues(length, d), [length, d]);
}
