/**
 * The half-precision cases, shared by tests/engine/kernels/half.test.ts (cpu, wasm and the
 * composite fallback in Node) and the browser page in tests/browser/ (WebGPU kernels, WebGL
 * composite). Plain TypeScript and tf: no vitest, no Node APIs, reads with await data() only.
 * A case throws an Error saying what differs and where.
 */
import * as tf from '@tensorflow/tfjs';
import fixture from '../../fixtures/half/half.json';
import { HALF_FORMATS, packHalf, roundHalf, unpackHalf, type HalfFormat } from '../../../src/engine/kernels/half';
import { packHalfComposite, roundHalfComposite, unpackHalfComposite } from '../../../src/engine/kernels/half/composite';

/** What the cases exercise: the public functions, or one implementation forced. */
export interface HalfImpl {
  name: string;
  round(x: tf.Tensor, format: HalfFormat): tf.Tensor;
  pack(x: tf.Tensor, format: HalfFormat): tf.Tensor;
  unpack(stored: tf.Tensor, shape: number[], format: HalfFormat): tf.Tensor;
  /** False for the composite, which stores float32 values unpacked. */
  packs: boolean;
}

export const KERNELS: HalfImpl = { name: 'kernels', round: roundHalf, pack: packHalf, unpack: unpackHalf, packs: true };
export const COMPOSITE: HalfImpl = {
  name: 'composite',
  round: roundHalfComposite,
  pack: packHalfComposite,
  unpack: (stored, shape) => unpackHalfComposite(stored, shape),
  packs: false,
};

export interface HalfCase {
  name: string;
  run(impl: HalfImpl): Promise<void>;
}

export interface CaseOptions {
  /** Use only the first `limit` formula inputs (the hashes then can't be checked, the sample still is). */
  limit?: number;
  /**
   * The backend may flush float32 subnormal inputs to zero (webgl on a GPU, and not in every
   * op): accept torch's result for ±0 there too, and check the specials and the sample only
   * (the hashes are of unflushed results). Only the composite needs it: kernels never flush.
   */
  flushesSubnormals?: boolean;
}

interface Plan {
  limit: number;
  flush: boolean;
  /** Whole and unflushed: the SHA-256 of every result can be checked. */
  exact: boolean;
}

// ---- inputs and expectations (read from the fixture, decoded here independently of the kernels)

const { formula, formats, specials } = fixture;
const NAN32 = 0x7fc00000;
const NAN16: Record<HalfFormat, number> = { fp16: 0x7e00, bf16: 0x7fc0 };
const INF16: Record<HalfFormat, number> = { fp16: 0x7c00, bf16: 0x7f80 };

/** The formula inputs as float32 bits, the same as tools/fixtures/make_half_fixtures.py makes. */
export function formulaInputs(limit = formula.wideCount + formula.bandCount): Uint32Array {
  const { stride, wideCount, bandCount, bandLow, bandWidth } = formula;
  const out = new Uint32Array(wideCount + bandCount);
  for (let i = 0; i < wideCount; i++) out[i] = Math.imul(i, stride) >>> 0;
  for (let j = 0; j < bandCount; j++) {
    out[wideCount + j] = (((j & 1) << 31) | (bandLow + (((j >>> 1) * stride) % bandWidth))) >>> 0;
  }
  return out.subarray(0, limit);
}

const hex = (v: number, digits: number) => '0x' + (v >>> 0).toString(16).padStart(digits, '0');
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 bits of a half value, by arithmetic rather than by the bit tricks under test. */
function expectedFloatBits(h: number, format: HalfFormat): number {
  if (format === 'bf16') return ((h & 0x7fff) > 0x7f80 ? NAN32 : (h << 16) >>> 0);
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  f32[0] = e === 31 ? (m ? NaN : sign * Infinity) : e === 0 ? sign * m * 2 ** -24 : sign * (1024 + m) * 2 ** (e - 25);
  return u32[0]!;
}

const isSubnormal32 = (b: number) => (b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0;
/** A backend that flushes may do so in one op and not in another: ±0 is accepted, not required. */
const mayFlush = (b: number, plan: Plan) => plan.flush && isSubnormal32(b);

const canonical32 = (b: number) => ((b & 0x7fffffff) > 0x7f800000 ? NAN32 : b >>> 0);
const canonical16 = (h: number, format: HalfFormat) => ((h & 0x7fff) > INF16[format] ? NAN16[format] : h);

function decodeSample(format: HalfFormat): Uint16Array {
  const bytes = Uint8Array.from(atob(formats[format].sample), (c) => c.charCodeAt(0));
  return new Uint16Array(bytes.buffer);
}

async function sha256(view: ArrayBufferView): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- reading tensors back (await data() only: dataSync is slow and fragile on WebGPU)

const floatTensor = (bits: Uint32Array, shape: number[] = [bits.length]) =>
  tf.tensor(new Float32Array(bits.buffer, bits.byteOffset, bits.length), shape, 'float32');

async function bitsOf(t: tf.Tensor): Promise<Uint32Array> {
  const v = (await t.data()) as Float32Array | Int32Array;
  return new Uint32Array(v.buffer, v.byteOffset, v.length);
}

function fail(message: string): never {
  throw new Error(message);
}

function expectEqual<T>(got: T, want: T, what: string): void {
  if (got !== want) fail(`${what}: got ${String(got)}, want ${String(want)}`);
}

/** Compares float32 results (NaN by NaN-ness) with torch's half bits at [index, half] pairs; names up to 5 mismatches. */
function compareFloats(
  got: Uint32Array, inputs: Uint32Array, indices: Iterable<[number, number]>, format: HalfFormat, plan: Plan,
  what: string, note: (i: number) => string = () => '',
) {
  const bad: string[] = [];
  let count = 0;
  for (const [i, h] of indices) {
    const want = expectedFloatBits(h, format);
    const g = canonical32(got[i]!);
    if (g !== want && !(mayFlush(inputs[i]!, plan) && g === (inputs[i]! & 0x80000000) >>> 0)) {
      if (++count <= 5) bad.push(`#${i}${note(i)} input ${hex(inputs[i]!, 8)}: got ${hex(got[i]!, 8)}, want ${hex(want, 8)} (torch ${hex(h, 4)})`);
    }
  }
  if (count > 0) fail(`${what}: ${count} mismatches, first at ${bad.join('; ')}`);
}

function* sampled(format: HalfFormat, plan: Plan): Generator<[number, number]> {
  const sample = decodeSample(format);
  for (let k = 0; k < sample.length && k * formula.sampleEvery < plan.limit; k++) {
    const i = k * formula.sampleEvery;
    yield [i, sample[k]!];
  }
}

/** Hash of the whole stream when it is whole; the sample names where it differs. */
async function checkStream(stream: Uint32Array | Uint16Array, wantHash: string, plan: Plan, onSample: () => void) {
  onSample();
  if (!plan.exact) return;
  const got = await sha256(stream);
  if (got !== wantHash) fail(`SHA-256 of all ${stream.length} results differs from torch's, though all sampled values match`);
}

// ---- the cases

async function noLeaks(body: () => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await body();
  const after = tf.memory().numTensors;
  if (after !== before) fail(`leaked ${after - before} tensors`);
}

function specialsCase(format: HalfFormat, plan: Plan): HalfCase {
  const inputs = Uint32Array.from(specials, (s) => Number(s.bits));
  const expected = specials.map((s) => Number(s[format]));
  return {
    name: `${format}: roundHalf, packHalf and unpackHalf on ${specials.length + 1} specials (odd length)`,
    run: (impl) => noLeaks(async () => {
      // One extra value makes the length odd: the last word's high half is padding.
      const padded = Uint32Array.from([...inputs, 0x3f800000]);
      const want = [...expected, format === 'fp16' ? 0x3c00 : 0x3f80];
      const all = want.map((h, i) => [i, h] as [number, number]);
      const note = (i: number) => ` (${specials[i]?.note ?? '1'})`;
      const x = floatTensor(padded);
      const rounded = impl.round(x, format);
      compareFloats(await bitsOf(rounded), padded, all, format, plan, 'roundHalf', note);
      const stored = impl.pack(x, format);
      if (impl.packs) {
        expectEqual(stored.dtype, 'int32', 'packed dtype');
        expectEqual(stored.size, Math.ceil(padded.length / 2), 'packed words');
        const words = await bitsOf(stored);
        const halves = new Uint16Array(words.buffer, words.byteOffset, words.length * 2);
        want.forEach((h, i) => {
          if (canonical16(halves[i]!, format) !== h) {
            fail(`packHalf #${i}${note(i)} input ${hex(padded[i]!, 8)}: got ${hex(halves[i]!, 4)}, want ${hex(h, 4)}`);
          }
        });
        expectEqual(halves[padded.length], 0, 'padding half');
      }
      const back = impl.unpack(stored, [padded.length], format);
      compareFloats(await bitsOf(back), padded, all, format, plan, 'unpackHalf(packHalf(x))', note);
      tf.dispose([x, rounded, stored, back]);
    }),
  };
}

const checks = (plan: Plan) => (plan.exact ? 'SHA-256 + sample' : 'sample only');

function roundFormulaCase(format: HalfFormat, plan: Plan): HalfCase {
  const { limit } = plan;
  return {
    name: `${format}: roundHalf on ${limit} formula inputs vs torch (${checks(plan)})`,
    run: (impl) => noLeaks(async () => {
      const inputs = formulaInputs(limit);
      const x = floatTensor(inputs);
      const y = impl.round(x, format);
      const got = (await bitsOf(y)).map(canonical32);
      tf.dispose([x, y]);
      await checkStream(got, formats[format].floatBitsSha256, plan,
        () => compareFloats(got, inputs, sampled(format, plan), format, plan, 'roundHalf, sampled inputs'));
    }),
  };
}

function packFormulaCase(format: HalfFormat, plan: Plan): HalfCase {
  const { limit } = plan;
  return {
    name: `${format}: packHalf then unpackHalf on ${limit} formula inputs vs torch (${checks(plan)})`,
    run: (impl) => noLeaks(async () => {
      const inputs = formulaInputs(limit);
      const x = floatTensor(inputs);
      const stored = impl.pack(x, format);
      if (impl.packs) {
        expectEqual(stored.dtype, 'int32', 'packed dtype');
        expectEqual(stored.size * 4, (limit / 2) * 4, 'packed bytes (half of float32)');
        const words = await bitsOf(stored);
        const halves = new Uint16Array(words.buffer, words.byteOffset, limit).map((h) => canonical16(h, format));
        await checkStream(halves, formats[format].halfBitsSha256, plan, () => {
          for (const [i, h] of sampled(format, plan)) {
            if (halves[i] !== h) fail(`packHalf: first sampled mismatch at #${i}, input ${hex(inputs[i]!, 8)}: got ${hex(halves[i]!, 4)}, want ${hex(h, 4)}`);
          }
        });
      }
      const back = impl.unpack(stored, [limit], format);
      const got = (await bitsOf(back)).map(canonical32);
      tf.dispose([x, stored, back]);
      await checkStream(got, formats[format].floatBitsSha256, plan,
        () => compareFloats(got, inputs, sampled(format, plan), format, plan, 'unpackHalf(packHalf(x)), sampled inputs'));
    }),
  };
}

function shapesCase(format: HalfFormat): HalfCase {
  return {
    name: `${format}: odd lengths and shapes, empty tensors, packed size ceil(n/2)`,
    run: (impl) => noLeaks(async () => {
      for (const shape of [[1], [3], [7], [2, 3], [3, 1, 5], [4, 4], [0], [2, 0]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Float32Array.from({ length: n }, (_, i) => (i - 3) * 1.3 + 0.01);
        const x = tf.tensor(values, shape);
        const stored = impl.pack(x, format);
        expectEqual(stored.size, impl.packs ? Math.ceil(n / 2) : n, `stored size for [${shape}]`);
        const back = impl.unpack(stored, shape, format);
        const rounded = impl.round(x, format);
        expectEqual(back.shape.join(','), shape.join(','), 'unpacked shape');
        expectEqual(rounded.shape.join(','), shape.join(','), 'rounded shape');
        const [a, b] = [await bitsOf(back), await bitsOf(rounded)];
        a.forEach((v, i) => expectEqual(hex(v, 8), hex(b[i]!, 8), `[${shape}] #${i}: unpackHalf(packHalf(x)) vs roundHalf(x)`));
        // Packing what was already rounded changes nothing: the round trip is exact.
        const again = tf.tidy(() => impl.unpack(impl.pack(back, format), shape, format));
        (await bitsOf(again)).forEach((v, i) => expectEqual(hex(v, 8), hex(a[i]!, 8), `[${shape}] #${i}: second round trip`));
        tf.dispose([x, stored, back, rounded, again]);
      }
      tf.dispose(tf.tidy(() => impl.unpack(impl.pack(tf.zeros([5]), format), [5], format))); // also leak-free under tidy
    }),
  };
}

/** Words made in JS, not by packHalf: the layout is the contract (half 2i in the low 16 bits). */
function layoutCase(format: HalfFormat): HalfCase {
  const halves = [0x3c00, 0xbc00, 0xfc00, 0x7e00, 0x0400, 0x8001, 0x7bff];
  return {
    name: `${format}: unpackHalf reads words made in JS (negative int32 included), half 2i low`,
    run: (impl) => noLeaks(async () => {
      if (!impl.packs) return; // the composite stores float32 values, not words
      const words = Int32Array.from({ length: 4 }, (_, i) => halves[2 * i]! | ((halves[2 * i + 1] ?? 0xffff) << 16));
      const packed = tf.tensor(words, [4], 'int32');
      const back = impl.unpack(packed, [halves.length], format);
      const got = await bitsOf(back);
      halves.forEach((h, i) => expectEqual(hex(canonical32(got[i]!), 8), hex(expectedFloatBits(h, format), 8), `half ${hex(h, 4)} at #${i}`));
      tf.dispose([packed, back]);
    }),
  };
}

function gradientCase(format: HalfFormat): HalfCase {
  return {
    name: `${format}: roundHalf's gradient is straight-through`,
    run: (impl) => noLeaks(async () => {
      const x = tf.tensor([[0.1, -3.3], [65519.99, 1e-7]]);
      const w = tf.tensor([[2, -1], [0.5, 3]]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(impl.round(v, format), w)))(x);
      const [got, want] = [await g.data(), await w.data()];
      want.forEach((v, i) => expectEqual(got[i], v, `gradient #${i}`));
      tf.dispose([x, w, g]);
    }),
  };
}

/** Every case, fp16 and bf16. */
export function halfCases(options: CaseOptions = {}): HalfCase[] {
  const all = formula.wideCount + formula.bandCount;
  const limit = options.limit ?? all;
  if (limit % 2 !== 0 || limit > all) throw new Error(`the formula limit must be even and at most ${all}`);
  const flush = options.flushesSubnormals ?? false;
  const plan: Plan = { limit, flush, exact: limit === all && !flush };
  return HALF_FORMATS.flatMap((format) => [
    specialsCase(format, plan),
    roundFormulaCase(format, plan),
    packFormulaCase(format, plan),
    shapesCase(format),
    layoutCase(format),
    gradientCase(format),
  ]);
}
