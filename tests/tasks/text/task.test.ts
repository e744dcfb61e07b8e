import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { CORPORA, CORPUS_PACKAGE } from '../../../src/tasks/text/corpora';
import { evalPrompt, prepareTextData, TrainWindows, validationStarts, windowBatch } from '../../../src/tasks/text/data';
import { addText, decodeText, factsOf, textFacts } from '../../../src/tasks/text/source';
import { createRng } from '../../../src/tasks/rng';
import { thrown } from '../../helpers/errors';
import { ROOT } from '../../pytorch/python';

const MODEL = { dModel: 8, nHeads: 2, nDecoderLayers: 1, dFF: 16, maxLen: 16 };
const runWith = (task: Record<string, unknown>, model: Record<string, unknown> = {}) =>
  parseRunConfig({ model: { ...MODEL, ...model }, task: { name: 'text', ...task }, train: {} });

const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(20);
addText({ file: 'fox.txt' }, TEXT);

describe('shipped corpora', () => {
  it.each(CORPORA.map((c) => [c.name, c] as const))('%s: its declared facts are the text’s, between 100 KB and 2 MB', (_name, c) => {
    const bytes = readFileSync(path.join(ROOT, 'node_modules', CORPUS_PACKAGE, c.file));
    expect(bytes.length).toBeGreaterThanOrEqual(100_000);
    expect(bytes.length).toBeLessThanOrEqual(2_000_000);
    const facts = factsOf(decodeText(bytes, 'task.corpus'));
    expect(facts.characters.join('')).toBe(c.characters);
    expect(facts.length).toBe(c.length);
  });
});

describe('text task config', () => {
  it('fills defaults and takes its vocabulary from the text (char) or vocabSize (bpe)', () => {
    const char = runWith({ corpus: 'carroll-alice' }, { maxLen: 64 });
    expect(char.task).toEqual({ name: 'text', corpus: 'carroll-alice', tokenizer: 'char', vocabSize: 512, contextLength: 64 });
    expect(char.model.tgtVocabSize).toBe(3 + CORPORA[0].characters.length);
    expect(runWith({ file: 'fox.txt', tokenizer: 'bpe', vocabSize: 40, contextLength: 16 }).model.tgtVocabSize).toBe(40);
  });

  it.each([
    [{ corpus: 'tiny-shakespeare' }, {}, 'task.corpus: must be one of "carroll-alice", "shakespeare-hamlet", "austen-emma" (got "tiny-shakespeare")'],
    [{ contextLength: 8 }, {}, 'task.corpus: name the text: "corpus" (one the lab ships: carroll-alice, shakespeare-hamlet, austen-emma) or "file" (a UTF-8 text file)'],
    [{ file: 'fox.txt', corpus: 'carroll-alice', contextLength: 8 }, {}, 'task.file: give "file" or "corpus", not both'],
    [{ file: 'missing.txt', contextLength: 8 }, {}, 'task.file: the text "missing.txt" is not loaded: choose or drop the file again'],
    [{ file: 'fox.txt', tokenizer: 'bpe', vocabSize: 20, contextLength: 8 }, {}, "task.vocabSize: vocabSize 20 is smaller than the text's 28 characters plus the 3 special tokens (31)"],
    [{ file: 'fox.txt', tokenizer: 'bpe', vocabSize: 100_000, contextLength: 8 }, {}, 'task.vocabSize: must be ≤ 32768 (got 100000)'],
    [{ file: 'fox.txt', tokenizer: 'bpe', vocabSize: 2, contextLength: 8 }, {}, 'task.vocabSize: must be ≥ 4 (got 2)'],
    [{ file: 'fox.txt', contextLength: 16 }, { maxLen: 8 }, "task.contextLength: contextLength 16 is longer than the model's maxLen 8"],
    [{ file: 'fox.txt', contextLength: 100 }, { maxLen: 128 }, 'task.file: the text is too short for contextLength 100: its validation part has 90 tokens, one window needs 101 tokens (use a longer text or a shorter context)'],
    [{ file: 'fox.txt', contextLength: 8 }, { nEncoderLayers: 1, srcVocabSize: 64 }, 'model.nEncoderLayers: the text task trains a decoder-only model (nEncoderLayers 0, nDecoderLayers ≥ 1), not an encoder-decoder one'],
  ])('%j refused naming the field', (task, model, message) => {
    expect(thrown(() => runWith(task, model)).message).toBe(message);
  });
});

describe('reading a text', () => {
  const bytes = (...b: number[]) => new Uint8Array(b);
  it.each([
    [bytes(), 'task.file: the text is empty (0 bytes)'],
    [bytes(0xef, 0xbb, 0xbf), 'task.file: the text is empty (only a byte-order mark)'],
    [bytes(0x61, 0x62, 0xe8, 0x63), 'task.file: is not UTF-8 text: byte 0xE8 at offset 2 is not valid UTF-8 (save the file as UTF-8)'],
    [bytes(0x89, 0x50, 0x4e, 0x47), 'task.file: is not UTF-8 text: byte 0x89 at offset 0 is not valid UTF-8 (save the file as UTF-8)'],
    [bytes(0x61, 0x00, 0x62), 'task.file: has a NUL character at offset 1: this looks like a binary file, not text'],
  ])('refuses %j', (b, message) => {
    expect(thrown(() => decodeText(b, 'task.file')).message).toBe(message);
  });

  it('drops a byte-order mark and keeps everything else', () => {
    expect(decodeText(new TextEncoder().encode('\ufeffé\r\n😀'), 'task.file')).toBe('é\r\n😀');
    expect(textFacts({ file: 'fox.txt' })).toEqual(factsOf(TEXT));
  });
});

describe('split and windows (reference README, text task)', () => {
  const run = runWith({ file: 'fox.txt', contextLength: 8 });
  const task = run.task.name === 'text' ? run.task : undefined!;
  const data = prepareTextData(task, TEXT);
  const n = [...TEXT].length;

  it('keeps the ids in one typed array; the first floor(0.9 n) train', () => {
    expect(data.ids).toBeInstanceOf(Int32Array);
    expect(data.ids.length).toBe(n);
    expect(data.trainTokens).toBe(Math.floor(0.9 * n));
    expect(data.tokenizer.decode(data.ids)).toBe(TEXT);
  });

  it('draws training windows of T + 1 tokens at offsets from the seed’s train stream', () => {
    const windows = new TrainWindows(data, 7);
    const rng = createRng(7).fork('train');
    const starts = windows.nextStarts(50);
    expect(starts).toEqual(Array.from({ length: 50 }, () => rng.int(0, data.trainTokens - 9)));
    const batch = windowBatch(data, starts.slice(0, 2));
    expect(batch.tgtIn![0]).toEqual(Array.from(data.ids.subarray(starts[0]!, starts[0]! + 8)));
    expect(batch.tgtOut[0]).toEqual(Array.from(data.ids.subarray(starts[0]! + 1, starts[0]! + 9)));
    expect(batch.src).toBeUndefined();
  });

  it('validates on consecutive non-overlapping windows of the validation part, from its start', () => {
    const all = validationStarts(data, 1000);
    expect(all).toEqual(Array.from({ length: Math.floor((n - data.trainTokens) / 9) }, (_, k) => data.trainTokens + 9 * k));
    expect(validationStarts(data, 3)).toEqual(all.slice(0, 3));
    expect(Array.from(evalPrompt(data))).toEqual(Array.from(data.ids.subarray(data.trainTokens, data.trainTokens + 2)));
  });

  it('checks the token count of a bpe text, which only tokenizing tells', () => {
    addText({ file: 'short.txt' }, 'abababababababababababababab'.repeat(4));
    const bpe = runWith({ file: 'short.txt', tokenizer: 'bpe', vocabSize: 30, contextLength: 9 });
    expect(thrown(() => prepareTextData(bpe.task as typeof task, 'abababababababababababababab'.repeat(4))).message).toMatch(/^task\.file: the text is too short for contextLength 9: its (training|validation) part has \d+ tokens/);
  });
});
