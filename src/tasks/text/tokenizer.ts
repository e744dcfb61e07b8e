/**
 * The text task's tokenizers: characters, or characters with byte-pair merges. Both give every
 * character of the text an id (3 + its index in `chars`, sorted by code point); bpe adds one id per
 * merge (3 + chars.length + the merge's index). What is needed to encode and decode travels in the
 * weights JSON as its `tokenizer` key (`toJson` / `parseTokenizer`).
 */
import { ConfigError, type FieldIssue } from '../../engine/validation';
import { FIRST_SYMBOL, SPECIAL_TOKENS, type TokenizerKind } from '../types';
import { learnMerges, mergePair, pairKey, type LearnOptions } from './bpe';
import { pieces } from './pieces';

export type { TokenizerKind } from '../types';

/** The weights JSON's `tokenizer` key. */
export interface TokenizerJson {
  type: TokenizerKind;
  /** Every character, one code point each, by code point. */
  chars: string[];
  /** bpe only: merge i joins the two ids into id 3 + chars.length + i. */
  merges?: [number, number][];
}

const codePoint = (ch: string) => ch.codePointAt(0)!;

/** Every distinct character (code point) of `text`, by code point. */
export function charactersOf(text: string): string[] {
  return [...new Set(text)].sort((a, b) => codePoint(a) - codePoint(b));
}

/** `"é" (U+00E9)`: a character as a message shows it, control characters included. */
export function showCharacter(ch: string): string {
  return `${JSON.stringify(ch)} (U+${codePoint(ch).toString(16).toUpperCase().padStart(4, '0')})`;
}

export class Tokenizer {
  readonly size: number;
  /** Each id's text ('' for the special tokens). */
  readonly tokenText: readonly string[];
  /** Each id's length in characters (code points), 0 for the special tokens. */
  readonly tokenLength: Int32Array;
  private readonly charId: Map<string, number>;
  private readonly rank = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();

  constructor(
    readonly kind: TokenizerKind,
    readonly chars: readonly string[],
    readonly merges: readonly (readonly [number, number])[] = [],
  ) {
    this.charId = new Map(chars.map((c, i) => [c, FIRST_SYMBOL + i]));
    const text = [...SPECIAL_TOKENS.map(() => ''), ...chars];
    merges.forEach(([a, b], i) => {
      this.rank.set(pairKey(a, b), i);
      text.push(text[a]! + text[b]!);
    });
    this.tokenText = text;
    this.size = text.length;
    this.tokenLength = Int32Array.from(text, (t) => [...t].length);
  }

  /** The char tokenizer of a text: every character it has. */
  static chars(text: string): Tokenizer {
    return new Tokenizer('char', charactersOf(text));
  }

  /**
   * The bpe tokenizer of a text: every character of `text`, and merges learned on `trainText`
   * (the training part) up to `vocabSize` ids in all (fewer when no pair occurs twice any more).
   */
  static bpe(text: string, trainText: string, vocabSize: number, opts: LearnOptions = {}): Tokenizer {
    const chars = charactersOf(text);
    const base = new Tokenizer('char', chars);
    const merges = learnMerges(trainText, (ch) => base.charId.get(ch)!, FIRST_SYMBOL + chars.length, vocabSize - FIRST_SYMBOL - chars.length, opts);
    return new Tokenizer('bpe', chars, merges);
  }

  /** Characters of `text` this tokenizer has no id for, by code point. */
  unknownCharacters(text: string): string[] {
    return charactersOf(text).filter((c) => !this.charId.has(c));
  }

  /** Token ids of `text`; a character without an id is a ConfigError naming `field`. */
  encode(text: string, field: string): Int32Array {
    const unknown = this.unknownCharacters(text);
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 5).map(showCharacter).join(', ');
      const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
      throw new ConfigError([{ path: field, message: `has ${unknown.length === 1 ? 'a character' : 'characters'} the tokenizer does not know: ${shown}${more}` }]);
    }
    const out = new Int32Array(text.length);
    let n = 0;
    if (this.kind === 'char') {
      for (const ch of text) out[n++] = this.charId.get(ch)!;
    } else {
      for (const piece of pieces(text)) for (const id of this.encodePiece(piece)) out[n++] = id;
    }
    return out.slice(0, n);
  }

  /** The text of token ids; special tokens read as nothing. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.tokenText[ids[i]!] ?? '';
    return s;
  }

  toJson(): TokenizerJson {
    return this.kind === 'char' ? { type: 'char', chars: [...this.chars] } : { type: 'bpe', chars: [...this.chars], merges: this.merges.map(([a, b]) => [a, b]) };
  }

  /** Applies the lowest-ranked merge present until none is: the same pieces training made. */
  private encodePiece(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    let ids = Array.from(piece, (ch) => this.charId.get(ch)!);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.rank.get(pairKey(ids[i]!, ids[i + 1]!));
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) break;
      const [a, b] = this.merges[best]!;
      ids = mergePair(ids, a, b, FIRST_SYMBOL + this.chars.length + best);
    }
    this.cache.set(piece, ids);
    return ids;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/**
 * Reads the weights JSON's `tokenizer` key; every problem names its field under `path`. With
 * `maxSize`, the tokenizer must fit a vocabulary of that many ids (the model's tgtVocabSize).
 */
export function parseTokenizer(raw: unknown, path = 'tokenizer', maxSize?: number): Tokenizer {
  const fail = (issues: FieldIssue[]) => new ConfigError(issues);
  if (raw === undefined) throw fail([{ path, message: 'is required: a text model carries its tokenizer (the lab writes it with the weights)' }]);
  if (!isRecord(raw)) throw fail([{ path, message: `must be an object {type, chars, merges} (got ${show(raw)})` }]);
  const issues: FieldIssue[] = [];
  const unknown = Object.keys(raw).filter((k) => !['type', 'chars', 'merges'].includes(k));
  if (unknown.length) issues.push({ path, message: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}` });
  const type = raw.type;
  if (type !== 'char' && type !== 'bpe') issues.push({ path: `${path}.type`, message: `must be one of "char", "bpe" (got ${show(type)})` });
  const chars = raw.chars;
  if (!Array.isArray(chars) || chars.length === 0) {
    issues.push({ path: `${path}.chars`, message: `must be a non-empty array of characters (got ${show(chars)})` });
  } else {
    const seen = new Map<string, number>();
    for (let i = 0; i < chars.length && issues.length < 5; i++) {
      const c: unknown = chars[i];
      if (typeof c !== 'string' || [...c].length !== 1) issues.push({ path: `${path}.chars[${i}]`, message: `must be one character (got ${show(c)})` });
      else if (seen.has(c)) issues.push({ path: `${path}.chars[${i}]`, message: `${showCharacter(c)} repeats chars[${seen.get(c)}]` });
      else if (i > 0 && typeof chars[i - 1] === 'string' && codePoint(chars[i - 1] as string) > codePoint(c)) issues.push({ path: `${path}.chars[${i}]`, message: 'characters must be sorted by code point' });
      else seen.set(c, i);
    }
  }
  const merges = raw.merges;
  if (type === 'char' && merges !== undefined) issues.push({ path: `${path}.merges`, message: 'a char tokenizer has no merges' });
  if (type === 'bpe') {
    if (!Array.isArray(merges)) issues.push({ path: `${path}.merges`, message: `must be an array of [id, id] pairs (got ${show(merges)})` });
    else if (Array.isArray(chars)) {
      const seen = new Map<number, number>();
      for (let i = 0; i < merges.length && issues.length < 5; i++) {
        const m: unknown = merges[i];
        const own = FIRST_SYMBOL + chars.length + i;
        const isId = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= FIRST_SYMBOL && x < own;
        if (!Array.isArray(m) || m.length !== 2 || !isId(m[0]) || !isId(m[1])) {
          issues.push({ path: `${path}.merges[${i}]`, message: `must be a pair of token ids from ${FIRST_SYMBOL} to ${own - 1} (got ${show(m)})` });
        } else {
          const key = pairKey(m[0] as number, m[1] as number);
          if (seen.has(key)) issues.push({ path: `${path}.merges[${i}]`, message: `repeats merges[${seen.get(key)}]` });
          seen.set(key, i);
        }
      }
    }
  }
  if (issues.length) throw fail(issues);
  const tokenizer = new Tokenizer(type as TokenizerKind, chars as string[], type === 'bpe' ? (merges as [number, number][]) : []);
  if (maxSize !== undefined && tokenizer.size > maxSize) {
    throw fail([{ path, message: `has ${tokenizer.size} tokens, more than the model's tgtVocabSize ${maxSize}` }]);
  }
  return tokenizer;
}
