import { describe, expect, it } from 'vitest';
import {
  Base64Error,
  base64ToBytes,
  bytesToBase64,
  decodeFloat32Base64,
  encodeFloat32Base64,
} from '../../../src/engine/weights/base64';

/** Deterministic bytes (xorshift), so failures reproduce. */
function randomBytes(n: number, seed = 1): Uint8Array {
  let s = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const expectBase64Error = (fn: () => unknown, message: string) => {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Base64Error);
  expect((caught as Error).message).toBe(message);
};

describe('bytes <-> base64', () => {
  it('agrees with Node\'s Buffer for every length up to 64 (all three padding cases)', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = randomBytes(n, n + 7);
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
    }
  });

  it('covers every byte value', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = bytesToBase64(bytes);
    expect(text).toBe(Buffer.from(bytes).toString('base64'));
    expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
  });

  it('handles the empty string', () => {
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
    expect(base64ToBytes('').length).toBe(0);
    expect(decodeFloat32Base64('').length).toBe(0);
  });
});

describe('float32 <-> base64', () => {
  it('writes little-endian float32 bytes (as numpy "<f4" does)', () => {
    expect(encodeFloat32Base64(new Float32Array([1]))).toBe('AACAPw==');
    expect(encodeFloat32Base64(new Float32Array([1, -2]))).toBe('AACAPwAAAMA=');
    expect(Array.from(decodeFloat32Base64('AACAPwAAAMA='))).toEqual([1, -2]);
  });

  it('is exact to the bit, special values included', () => {
    const values = new Float32Array([
      0, -0, 1, -1, Math.fround(0.1), 1e-45, -1e-45, 1.1754942e-38, 1.1754944e-38, 3.4e38, -3.4e38,
      3.4028234663852886e38, Math.fround(Math.PI),
    ]);
    const back = decodeFloat32Base64(encodeFloat32Base64(values));
    expect(bits(back)).toEqual(bits(values));
    expect(Object.is(back[1], -0)).toBe(true);
    expect(back[5]).toBe(Math.fround(1e-45));
  });

  it('encodes a view into a larger buffer using only the view', () => {
    const big = new Float32Array([9, 1, 2, 9]);
    const view = big.subarray(1, 3);
    expect(encodeFloat32Base64(view)).toBe(encodeFloat32Base64(new Float32Array([1, 2])));
  });

  it('decodes non-finite values (the caller decides whether to accept them)', () => {
    const values = new Float32Array([NaN, Infinity, -Infinity]);
    const back = decodeFloat32Base64(encodeFloat32Base64(values));
    expect(bits(back)).toEqual(bits(values));
  });

  it('round-trips millions of floats quickly and agrees with Buffer', () => {
    const n = 2_000_000;
    const values = new Float32Array(randomBytes(n * 4, 42).buffer);
    const t0 = performance.now();
    const text = encodeFloat32Base64(values);
    const back = decodeFloat32Base64(text);
    const ms = performance.now() - t0;
    expect(text).toBe(Buffer.from(values.buffer).toString('base64'));
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(values.buffer))).toBe(true);
    expect(ms).toBeLessThan(5000);
  });
});

describe('invalid base64', () => {
  it('refuses a length that is not a multiple of 4', () => {
    expectBase64Error(() => base64ToBytes('AACAP'), 'invalid base64: length 5 is not a multiple of 4 (base64 text is written in padded groups of 4 characters)');
    expectBase64Error(() => base64ToBytes('AACAPw'), 'invalid base64: length 6 is not a multiple of 4 (base64 text is written in padded groups of 4 characters)');
  });

  it('refuses characters outside the alphabet', () => {
    expectBase64Error(() => base64ToBytes('AAC!Pw=='), 'invalid base64: character "!" at position 3 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
    expectBase64Error(() => base64ToBytes('AACA-w=='), 'invalid base64: character "-" at position 4 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
    expectBase64Error(() => base64ToBytes('AACA Pw='), 'invalid base64: character U+0020 at position 4 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
    expectBase64Error(() => base64ToBytes('AA\nAPw=='), 'invalid base64: character U+000A at position 2 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
    // A code unit above 0xff must not alias an ASCII letter ('\u0141' & 0xff is 'A').
    expectBase64Error(() => base64ToBytes('\u0141AAA'), 'invalid base64: character U+0141 at position 0 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
    expectBase64Error(() => base64ToBytes('AACAP\u00e9=='), 'invalid base64: character U+00E9 at position 5 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
  });

  it('refuses padding anywhere but the end', () => {
    expectBase64Error(() => base64ToBytes('AA=APw=='), 'invalid base64: padding "=" at position 2 is not at the end of the text');
    expectBase64Error(() => base64ToBytes('AACA=w=='), 'invalid base64: padding "=" at position 4 is not at the end of the text');
    expectBase64Error(() => base64ToBytes('A==='), 'invalid base64: padding "=" at position 1 is not at the end of the text');
    expectBase64Error(() => base64ToBytes('===='), 'invalid base64: padding "=" at position 0 is not at the end of the text');
    expectBase64Error(() => base64ToBytes('AA==AAAA'), 'invalid base64: padding "=" at position 2 is not at the end of the text');
  });

  it('refuses bytes that are not whole float32 values', () => {
    expectBase64Error(() => decodeFloat32Base64('AACA'), 'invalid float32 data: decodes to 3 bytes, which is not a multiple of 4');
    expectBase64Error(() => decodeFloat32Base64('AACAPwA='), 'invalid float32 data: decodes to 5 bytes, which is not a multiple of 4');
  });
});
