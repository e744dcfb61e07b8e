import { describe, expect, it } from 'vitest';
import { record } from './harness';

/** What the page sends: a text's UTF-8 bytes. */
const bytesOf = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
const TEXT = 'Once upon a time there was a small model that learned to write. Ünïcödé 😀\n'.repeat(12);

const run = (task: Record<string, unknown>, train: Record<string, unknown> = {}) => ({
  model: { dModel: 8, nHeads: 2, nDecoderLayers: 1, dFF: 16, maxLen: 16 },
  task: { name: 'text', contextLength: 16, ...task },
  train: { batchSize: 4, steps: 4, seed: 0, evalEvery: 2, validationSize: 4, optimizer: { name: 'adam', lr: 0.01 }, ...train },
});

describe('text runs in the worker (cpu backend)', () => {
  it('takes a dropped text, trains on it with a sample at every evaluation, and streams a sample back', async () => {
    const r = record();
    await r.send({ type: 'addText', requestId: 1, name: 'story.txt', bytes: bytesOf(TEXT) });
    const added = await r.waitFor('textAdded');
    expect(added).toMatchObject({ requestId: 1, name: 'story.txt', facts: { length: [...TEXT].length } });
    await r.send({ type: 'start', runId: 'a', config: run({ file: 'story.txt', tokenizer: 'bpe', vocabSize: 60 }) });
    await r.waitFor('state', (e) => e.runId === 'a' && e.state === 'done');
    const tokenizing = r.of('tokenizing', 'a');
    expect(tokenizing.length).toBeGreaterThan(0);
    expect(tokenizing.at(-1)!.done).toBe(tokenizing.at(-1)!.total);
    const evals = r.history('a').evals;
    expect(evals.map((m) => m.step)).toEqual([2, 4]);
    for (const m of evals) {
      expect(m.exactMatch).toBeUndefined();
      expect(m.bitsPerChar).toBeGreaterThan(0);
      expect(m.sample!.text.length).toBeGreaterThan(0);
    }

    await r.send({ type: 'sample', runId: 'a', requestId: 2, prompt: 'Once', options: { tokens: 40, temperature: 0, topK: null, seed: 0 } });
    const chunks = r.of('sampled', 'a').filter((e) => e.requestId === 2);
    expect(chunks.length).toBeGreaterThanOrEqual(3); // 40 tokens, read back 16 at a time, then done
    expect(chunks.at(-1)).toMatchObject({ done: true, text: '' });
    expect(chunks.every((c, i) => c.done === (i === chunks.length - 1) && c.message === undefined)).toBe(true);

    // A prompt the tokenizer cannot encode is refused by field, on the sample itself.
    await r.send({ type: 'sample', runId: 'a', requestId: 3, prompt: 'Zürich', options: { tokens: 4, temperature: 1, topK: null, seed: 0 } });
    const refused = r.of('sampled', 'a').find((e) => e.requestId === 3)!;
    expect(refused).toMatchObject({ done: true, text: '' });
    expect(refused.message).toMatch(/^prompt: has characters? the tokenizer does not know: "Z" \(U\+005A\)/);
  });

  it.each([
    ['an empty text', new ArrayBuffer(0), 'task.file: the text is empty (0 bytes)'],
    ['a binary file', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]).buffer, 'task.file: is not UTF-8 text: byte 0xFF at offset 0 is not valid UTF-8 (save the file as UTF-8)'],
    ['a text with NUL bytes', bytesOf('ab\0cd'), 'task.file: has a NUL character at offset 2: this looks like a binary file, not text'],
  ])('refuses %s when it is dropped, naming the field', async (_what, bytes, message) => {
    const r = record();
    await r.send({ type: 'addText', requestId: 7, name: 'bad.txt', bytes });
    expect(await r.waitFor('textAdded')).toEqual({ type: 'textAdded', runId: null, requestId: 7, name: 'bad.txt', message });
  });

  it('refuses a config naming a text too short, or not loaded, and leaves the current run untouched', async () => {
    const r = record();
    await r.send({ type: 'addText', requestId: 1, name: 'story.txt', bytes: bytesOf(TEXT) });
    await r.send({ type: 'addText', requestId: 2, name: 'short.txt', bytes: bytesOf('a short text') });
    await r.send({ type: 'start', runId: 'a', config: run({ file: 'story.txt' }, { steps: 2 }) });
    await r.waitFor('state', (e) => e.runId === 'a' && e.state === 'done');
    for (const [runId, task, message] of [
      ['b', { file: 'short.txt' }, 'task.file: the text is too short for contextLength 16: its training part has 10 tokens, one window needs 17 tokens (use a longer text or a shorter context)'],
      ['c', { file: 'never-dropped.txt' }, 'task.file: the text "never-dropped.txt" is not loaded: choose or drop the file again'],
      ['d', { file: 'story.txt', contextLength: 32 }, "task.contextLength: contextLength 32 is longer than the model's maxLen 16"],
      ['e', { file: 'story.txt', tokenizer: 'bpe', vocabSize: 12 }, "task.vocabSize: vocabSize 12 is smaller than the text's 25 characters plus the 3 special tokens (28)"],
    ] as const) {
      await r.send({ type: 'start', runId, config: run(task) });
      expect((await r.waitFor('error', (e) => e.runId === runId)).message).toBe(message);
    }
    expect(r.of('started').map((e) => e.runId)).toEqual(['a']);
    await r.send({ type: 'export', runId: 'a', requestId: 9 });
    expect((await r.waitFor('exported')).step).toBe(2);
  });

  it('imports a text run’s file only with its tokenizer: none, or a damaged one, is refused by field', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'a', config: run({ corpus: 'carroll-alice' }, { steps: 1, evalEvery: 100 }) });
    await r.waitFor('state', (e) => e.runId === 'a' && e.state === 'done');
    await r.send({ type: 'export', runId: 'a', requestId: 1 });
    const doc = JSON.parse((await r.waitFor('exported')).text) as Record<string, unknown>;
    const damaged: [string, Record<string, unknown>, string][] = [
      ['x', { ...doc, tokenizer: undefined }, 'tokenizer: is required: a text model carries its tokenizer (the lab writes it with the weights)'],
      ['y', { ...doc, tokenizer: { type: 'char', chars: ['b', 'a'] } }, 'tokenizer.chars[1]: characters must be sorted by code point'],
      ['z', { ...doc, tokenizer: { type: 'bpe', chars: (doc.tokenizer as { chars: string[] }).chars, merges: [] } }, 'tokenizer.type: the file\'s "bpe" tokenizer differs from the run\'s task.tokenizer "char"'],
    ];
    for (const [runId, file, message] of damaged) {
      await r.send({ type: 'importWeights', runId, text: JSON.stringify(file), config: {} });
      const err = await r.waitFor('error', (e) => e.runId === runId);
      expect(err.message).toBe(message);
      expect(err.suggestion).toMatch(/current run is untouched/);
    }
    await r.send({ type: 'importWeights', runId: 'ok', text: JSON.stringify(doc), config: {} });
    await r.waitFor('state', (e) => e.runId === 'ok' && e.state === 'paused');
    expect(r.history('ok').evals[0]!.bitsPerChar).toBe(r.history('a').evals.at(-1)!.bitsPerChar);
  });
});
