/**
 * Float32 little-endian <-> base64 (RFC 4648, standard alphabet, with `=` padding), as Python's
 * `base64.b64encode(a.astype("<f4").tobytes())` writes it. Plain TypeScript: no `Buffer`, no DOM,
 * so it runs in Node, a browser page and a Web Worker alike.
 */

/** Raised for text that is not valid base64 or bytes that are not float32 data. */
export class Base64Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Base64Error';
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 61; // '='

/** char code -> 6-bit value, -1 for characters outside the alphabet. */
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** 12-bit value -> the two ASCII codes that encode it, packed as `hi << 8 | lo`. */
const PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) PAIRS[i] = (ALPHABET.charCodeAt(i >> 6) << 8) | ALPHABET.charCodeAt(i & 63);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** String.fromCharCode over a large code array, in chunks that stay below engines' argument limits. */
const CHUNK = 0x8000;
function asciiToString(codes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < codes.length; i += CHUNK) {
    parts.push(String.fromCharCode.apply(null, codes.subarray(i, i + CHUNK) as unknown as number[]));
  }
  return parts.join('');
}

/** Bytes to padded base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  const whole = n - (n % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    const hi = PAIRS[v >> 12]!;
    const lo = PAIRS[v & 0xfff]!;
    out[o++] = hi >> 8;
    out[o++] = hi & 0xff;
    out[o++] = lo >> 8;
    out[o++] = lo & 0xff;
  }
  const rest = n - whole;
  if (rest === 1) {
    const v = bytes[whole]!;
    out[o] = ALPHABET.charCodeAt(v >> 2);
    out[o + 1] = ALPHABET.charCodeAt((v & 3) << 4);
    out[o + 2] = PAD;
    out[o + 3] = PAD;
  } else if (rest === 2) {
    const v = (bytes[whole]! << 8) | bytes[whole + 1]!;
    out[o] = ALPHABET.charCodeAt(v >> 10);
    out[o + 1] = ALPHABET.charCodeAt((v >> 4) & 63);
    out[o + 2] = ALPHABET.charCodeAt((v & 15) << 2);
    out[o + 3] = PAD;
  }
  return asciiToString(out);
}

const describeChar = (text: string, i: number): string => {
  const c = text.charCodeAt(i);
  const shown = c >= 0x21 && c < 0x7f ? JSON.stringify(text[i]) : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  return `character ${shown} at position ${i}`;
};

/**
 * Padded base64 to bytes. Strict: the length must be a multiple of 4, only the standard
 * alphabet is allowed (no whitespace, no URL-safe `-`/`_`), and `=` may only close the text.
 */
export function base64ToBytes(text: string): Uint8Array {
  if (typeof text !== 'string') throw new Base64Error(`invalid base64: expected a string, got ${typeof text}`);
  const len = text.length;
  if (len % 4 !== 0) {
    throw new Base64Error(`invalid base64: length ${len} is not a multiple of 4 (base64 text is written in padded groups of 4 characters)`);
  }
  let pad = 0;
  if (len > 0 && text.charCodeAt(len - 1) === PAD) pad = text.charCodeAt(len - 2) === PAD ? 2 : 1;
  const body = len - pad;
  const out = new Uint8Array((len / 4) * 3 - pad);
  const fail = (i: number): never => {
    const c = text.charCodeAt(i);
    if (c === PAD) throw new Base64Error(`invalid base64: padding "=" at position ${i} is not at the end of the text`);
    throw new Base64Error(`invalid base64: ${describeChar(text, i)} is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)`);
  };
  /** Throws for the first character in [from, to) that is not in the alphabet. */
  const failIn = (from: number, to: number) => {
    for (let j = from; j < to; j++) {
      const c = text.charCodeAt(j);
      if (c > 0xff || DECODE[c]! < 0) fail(j);
    }
  };
  const full = pad === 0 ? len : len - 4;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const ca = text.charCodeAt(i);
    const cb = text.charCodeAt(i + 1);
    const cc = text.charCodeAt(i + 2);
    const cd = text.charCodeAt(i + 3);
    if ((ca | cb | cc | cd) > 0xff) failIn(i, i + 4);
    const a = DECODE[ca]!;
    const b = DECODE[cb]!;
    const c = DECODE[cc]!;
    const d = DECODE[cd]!;
    if ((a | b | c | d) < 0) failIn(i, i + 4);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (pad > 0) {
    failIn(full, body);
    const a = DECODE[text.charCodeAt(full)]!;
    const b = DECODE[text.charCodeAt(full + 1)]!;
    if (pad === 2) {
      out[o] = (a << 2) | (b >> 4);
    } else {
      const c = DECODE[text.charCodeAt(full + 2)]!;
      const v = (a << 10) | (b << 4) | (c >> 2);
      out[o] = v >> 8;
      out[o + 1] = v & 0xff;
    }
  }
  return out;
}

/** Float32 values to base64 of their little-endian bytes. */
export function encodeFloat32Base64(values: Float32Array): string {
  let bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (!LITTLE_ENDIAN) {
    const swapped = new Uint8Array(bytes.length);
    const view = new DataView(swapped.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    bytes = swapped;
  }
  return bytesToBase64(bytes);
}

/** Base64 of little-endian float32 bytes to values. Throws `Base64Error` for bad text or a byte count not a multiple of 4. */
export function decodeFloat32Base64(text: string): Float32Array {
  const bytes = base64ToBytes(text);
  if (bytes.length % 4 !== 0) {
    throw new Base64Error(`invalid float32 data: decodes to ${bytes.length} bytes, which is not a multiple of 4`);
  }
  const n = bytes.length / 4;
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
