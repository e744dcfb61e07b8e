import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decodeFloat32Base64 } from '../../src/engine/weights/base64';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

export interface FixtureTensor {
  shape: number[];
  base64: string;
}

export const fixtureValues = (t: FixtureTensor) => decodeFloat32Base64(t.base64);

export function readFixture<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, ...parts), 'utf8')) as T;
}

export const fixtureNames = (dir: string) =>
  readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();

/** Largest |a − b| over max(|b|) (1 when b is all zeros): error relative to the tensor's scale. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  }
  return worst / (scale || 1);
}

export function maxAbsError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  return worst;
}
