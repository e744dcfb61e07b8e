/**
 * Seeded randomness for tasks and the engine. Everything the lab draws at random comes from
 * here so that one run seed reproduces a run exactly, on any backend and in any browser.
 * Dependency-free: the engine imports it too.
 */

export interface Rng {
  /** Uniform in [0, 1), with 53 bits of resolution. */
  next(): number;
  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  /**
   * A stream derived from this generator's seed and `label` only, not from how far this
   * generator has been drawn: adding a draw to one stream never shifts another.
   * Forking twice with the same label gives the same stream.
   */
  fork(label: string | number): Rng;
}

const GOLDEN = 0x9e3779b9;

/** A bijective 32-bit avalanche (multiply-xorshift rounds): nearby inputs give unrelated outputs. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Folds any parts into one 32-bit unsigned seed. Each part is tagged with its type and length,
 * so `hashSeed(1)` differs from `hashSeed('1')` and `('ab', 'c')` from `('a', 'bc')`.
 */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = String(part);
    const tagged = `${typeof part === 'number' ? 'n' : 's'}${text.length}:${text}`;
    for (let i = 0; i < tagged.length; i++) h = Math.imul(h ^ tagged.charCodeAt(i), 0x01000193);
    h = mix32(h);
  }
  return h >>> 0;
}

/**
 * A Weyl counter passed through `mix32`: period 2^32 draws of 32 bits, far more than a
 * browser run consumes, and every seed (any number, even a fraction) gives its own stream.
 */
export function createRng(seed: number): Rng {
  const root = hashSeed(seed);
  let state = root;
  const u32 = () => {
    state = (state + GOLDEN) >>> 0;
    return mix32(state);
  };
  const next = () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  return {
    next,
    int(lo, hi) {
      if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) {
        throw new RangeError(`rng.int needs integers lo ≤ hi (got ${lo}, ${hi})`);
      }
      return lo + Math.floor(next() * (hi - lo + 1));
    },
    fork: (label) => createRng(hashSeed(root, label)),
  };
}
