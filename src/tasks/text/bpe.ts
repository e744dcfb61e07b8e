import { countPieces } from './pieces';

/** A pair of token ids as one number: ids stay below 2^21 (every code point, plus merges). */
const PAIR_BASE = 2 ** 21;
export const pairKey = (a: number, b: number) => a * PAIR_BASE + b;

/**
 * A max-heap of (count, pair) ordered by count, then by the smaller pair (left id, then right id),
 * so that ties break the same way everywhere. Entries go stale when a count changes: the caller
 * pushes the new count and skips entries that no longer match.
 */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.above(l, best)) best = l;
        if (r < this.counts.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Merges the pair (a, b) into `id` in one piece, left to right, occurrences not overlapping. */
export function mergePair(ids: number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(id);
      i++;
    } else out.push(ids[i]!);
  }
  return out;
}

export interface LearnOptions {
  /** Called now and then with merges done and merges wanted. */
  onProgress?(done: number, total: number): void;
}

/**
 * Byte-pair merges learned on `text` (the training part), up to `merges` of them. The text is cut
 * into pieces (pieces.ts); a pair's count is the number of adjacent positions holding it, summed
 * over every piece occurrence. Each round merges the most frequent pair (ties: the smaller left
 * id, then the smaller right id) into the next id, left to right in every piece; learning stops
 * early when no pair occurs twice. `firstId` is the id of the first merge, `charId` gives each
 * character's id.
 *
 * Counts are kept up to date incrementally: a merge revisits only the pieces that hold its pair
 * (an index from pair to pieces), replacing their pairs' counts, so 4,096 merges on a megabyte take
 * about a second.
 */
export function learnMerges(text: string, charId: (ch: string) => number, firstId: number, merges: number, opts: LearnOptions = {}): [number, number][] {
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, count] of countPieces(text)) {
    words.push(Array.from(piece, charId));
    freqs.push(count);
  }
  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const add = (key: number, by: number, word: number) => {
    counts.set(key, (counts.get(key) ?? 0) + by);
    if (by > 0) {
      let set = where.get(key);
      if (!set) where.set(key, (set = new Set()));
      set.add(word);
    }
  };
  words.forEach((ids, w) => {
    for (let i = 0; i + 1 < ids.length; i++) add(pairKey(ids[i]!, ids[i + 1]!), freqs[w]!, w);
  });
  const heap = new PairHeap();
  for (const [key, count] of counts) heap.push(count, key);

  const out: [number, number][] = [];
  const every = Math.max(1, Math.floor(merges / 100));
  while (out.length < merges && heap.size > 0) {
    const { count, key } = heap.pop();
    if (counts.get(key) !== count) continue; // stale
    if (count < 2) break;
    const a = Math.floor(key / PAIR_BASE);
    const b = key % PAIR_BASE;
    const id = firstId + out.length;
    out.push([a, b]);
    const changed = new Set<number>();
    const bump = (k: number, by: number, w: number) => {
      add(k, by, w);
      changed.add(k);
    };
    for (const w of where.get(key) ?? []) {
      const ids = words[w]!;
      const merged = mergePair(ids, a, b, id);
      if (merged.length === ids.length) continue; // the pair left this piece in an earlier merge
      const f = freqs[w]!;
      for (let i = 0; i + 1 < ids.length; i++) bump(pairKey(ids[i]!, ids[i + 1]!), -f, w);
      for (let i = 0; i + 1 < merged.length; i++) bump(pairKey(merged[i]!, merged[i + 1]!), f, w);
      words[w] = merged;
    }
    where.delete(key);
    for (const k of changed) {
      const c = counts.get(k)!;
      if (c > 0) heap.push(c, k);
      else counts.delete(k);
    }
    if (out.length % every === 0) opts.onProgress?.(out.length, merges);
  }
  opts.onProgress?.(out.length, out.length);
  return out;
}
