import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

/** tests/fixtures/optim/*.json, written by tools/fixtures/make_optim_fixtures.py. */
export function readFixture<T>(file: string): T {
  const path = fileURLToPath(new URL(`../../fixtures/optim/${file}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export interface FixtureTensor {
  shape: number[];
  data: number[];
}

export interface OptimizerCase {
  id: string;
  config: Record<string, unknown>;
  params: Record<string, FixtureTensor>;
  steps: { lr: number; grads: Record<string, number[]>; params: Record<string, number[]> }[];
  state: Record<string, Record<string, FixtureTensor>>;
}

export interface ScheduleCase {
  id: string;
  schedule: Record<string, unknown>;
  torch: string;
  lrs: number[];
}

export const optimizerFixture = () => readFixture<{ torch: string; cases: OptimizerCase[] }>('optimizers.json');
export const scheduleFixture = () =>
  readFixture<{ torch: string; baseLr: number; steps: number; cases: ScheduleCase[] }>('schedules.json');

/** The fixture's numbers are shortest decimals of float32 values: this recovers them exactly. */
export const f32 = (data: number[]) => Float32Array.from(data);

/** Variables for a case's initial parameters, in the fixture's order. */
export function makeParams(c: OptimizerCase): { name: string; variable: tf.Variable }[] {
  return Object.entries(c.params).map(([name, t]) => ({ name, variable: tf.variable(tf.tensor(f32(t.data), t.shape)) }));
}

/** How `got` matches `want`: bit-identical elements (Object.is, so -0 and NaN count exactly). */
export function agreement(got: Float32Array, want: Float32Array): { exact: number; total: number } {
  let exact = 0;
  want.forEach((w, i) => {
    if (Object.is(got[i], w)) exact++;
  });
  return { exact, total: want.length };
}
