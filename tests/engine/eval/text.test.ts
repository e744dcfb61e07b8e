import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CHUNK, sampleTokens } from '../../../src/engine/eval/sample';
import { evaluateText } from '../../../src/engine/eval/text';
import { createContext } from '../../../src/engine/model/context';
import { forwardLogits } from '../../../src/engine/model/forward';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { EVAL_SAMPLE, Trainer } from '../../../src/engine/train/trainer';
import { addText } from '../../../src/tasks/text/source';
import { onBackend } from '../../helpers/backends';

beforeAll(() => onBackend('cpu'));

const dir = mkdtempSync(path.join(tmpdir(), 'text-eval-'));
const FILE = path.join(dir, 'poem.txt');
writeFileSync(FILE, 'Twinkle, twinkle, little star,\nHow I wonder what you are! Ünïcödé 😀\n'.repeat(12));
addText({ file: FILE }, readFileSync(FILE, 'utf8'));

const T = 12;
const run = (tokenizer: 'char' | 'bpe') =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nDecoderLayers: 2, dFF: 32, maxLen: 16, positional: 'learned' },
    task: { name: 'text', file: FILE, tokenizer, vocabSize: 64, contextLength: T },
    train: { batchSize: 4, steps: 3, seed: 1, validationSize: 1000 },
  });

/** log-softmax in float64 of one row. */
function logProbs(row: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(row));
  const sum = Array.from(row).reduce((s, v) => s + Math.exp(v - max), 0);
  return Array.from(row, (v) => v - max - Math.log(sum));
}

describe('text evaluation against a direct computation on the same logits', () => {
  it.each(['char', 'bpe'] as const)('%s: the validation windows, token count, loss, bits per char and token accuracy', async (kind) => {
    const trainer = Trainer.create(run(kind));
    const data = trainer.textData();
    // The windows, recomputed from the file alone: tokens, the 90% split, consecutive windows of T + 1.
    const text = readFileSync(FILE, 'utf8');
    const ids = Array.from(data.tokenizer.encode(text, 'file'));
    expect(data.tokenizer.decode(ids)).toBe(text);
    const split = Math.floor(0.9 * ids.length);
    const starts: number[] = [];
    for (let s = split; s + T + 1 <= ids.length; s += T + 1) starts.push(s);
    expect(starts.length).toBeGreaterThan(1);

    const ctx = createContext({ dropoutRate: 0, dropoutSeed: null });
    let nats = 0;
    let right = 0;
    let chars = 0;
    for (const s of starts) {
      const logits = tf.tidy(() => forwardLogits(ctx, trainer.model.lookup, trainer.run.model, { tgtIn: tf.tensor2d([ids.slice(s, s + T)], [1, T], 'int32') }));
      const values = await logits.data();
      logits.dispose();
      const v = trainer.run.model.tgtVocabSize;
      for (let t = 0; t < T; t++) {
        const row = values.subarray(t * v, (t + 1) * v);
        const target = ids[s + t + 1]!;
        nats -= logProbs(row)[target]!;
        if (Array.from(row).indexOf(Math.max(...Array.from(row))) === target) right++;
        chars += [...data.tokenizer.tokenText[target]!].length;
      }
    }
    const tokens = starts.length * T;
    const result = await evaluateText(trainer.model.lookup, trainer.run.model, data, starts);
    expect(result.tokens).toBe(tokens);
    expect(result.characters).toBe(chars);
    if (kind === 'char') expect(chars).toBe(tokens);
    else expect(chars).toBeGreaterThan(tokens);
    expect(result.loss).toBeCloseTo(nats / tokens, 5);
    expect(result.bitsPerChar).toBeCloseTo(nats / Math.LN2 / chars, 5);
    expect(result.tokenAccuracy).toBe(right / tokens);

    // The trainer evaluates those same windows (validationSize covers them all) and draws its sample.
    const m = await trainer.evaluate();
    expect(Object.keys(m).sort()).toEqual(['bitsPerChar', 'loss', 'sample', 'split', 'step', 'tokenAccuracy']);
    expect(m.loss).toBeCloseTo(result.loss, 6);
    expect(m.bitsPerChar).toBeCloseTo(result.bitsPerChar, 6);
    expect(m.sample!.prompt).toBe(data.tokenizer.decode(ids.slice(split, split + 3)));
    expect([...m.sample!.text].length).toBeGreaterThan(0);
    expect((await trainer.evaluate()).sample).toEqual(m.sample); // a fixed prompt and seed
    trainer.dispose();
  });
});

describe('sampling', () => {
  let trainer: Trainer;
  beforeAll(async () => {
    await onBackend('cpu');
    trainer = Trainer.create(run('char'));
  });
  const ctx = createContext({ dropoutRate: 0, dropoutSeed: null });
  const prompt = () => Array.from(trainer.textData().tokenizer.encode('Twinkle', 'prompt'));
  const draw = (opts: Partial<typeof EVAL_SAMPLE>, onChunk?: (ids: Int32Array) => void) =>
    sampleTokens(ctx, trainer.model.lookup, trainer.run.model, prompt(), T, trainer.textData().tokenizer.size, { ...EVAL_SAMPLE, tokens: 40, ...opts }, onChunk);

  it('gives the same tokens for the same seed, other tokens for another seed, never a special token', async () => {
    const a = await draw({ seed: 3, temperature: 1.5 });
    const b = await draw({ seed: 3, temperature: 1.5 });
    const c = await draw({ seed: 4, temperature: 1.5 });
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
    for (const id of [...a, ...c]) {
      expect(id).toBeGreaterThanOrEqual(3);
      expect(id).toBeLessThan(trainer.textData().tokenizer.size);
    }
  });

  it('is greedy at temperature 0 (and with top-k 1): the argmax of each step, the context cropped to T', async () => {
    const seq = prompt();
    const v = trainer.run.model.tgtVocabSize;
    for (let i = 0; i < 20; i++) {
      const context = seq.slice(-T);
      const logits = tf.tidy(() => forwardLogits(ctx, trainer.model.lookup, trainer.run.model, { tgtIn: tf.tensor2d([context], [1, context.length], 'int32') }));
      const last = (await logits.data()).subarray((context.length - 1) * v, context.length * v);
      logits.dispose();
      let best = 3;
      for (let id = 3; id < trainer.textData().tokenizer.size; id++) if (last[id]! > last[best]!) best = id;
      seq.push(best);
    }
    const greedy = Array.from(await draw({ temperature: 0, tokens: 20, seed: 1 }));
    expect(greedy).toEqual(seq.slice(-20));
    expect(Array.from(await draw({ temperature: 0, tokens: 20, seed: 2 }))).toEqual(greedy);
    expect(Array.from(await draw({ temperature: 1, topK: 1, tokens: 20, seed: 5 }))).toEqual(greedy);
  });

  it('reads the tokens back once per chunk', async () => {
    const chunks: number[] = [];
    const ids = await draw({ tokens: 2 * SAMPLE_CHUNK + 3 }, (c) => void chunks.push(c.length));
    expect(chunks).toEqual([SAMPLE_CHUNK, SAMPLE_CHUNK, 3]);
    expect(ids.length).toBe(2 * SAMPLE_CHUNK + 3);
  });
});
