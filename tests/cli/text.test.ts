import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'cli-text-'));
const file = (name: string) => path.join(dir, name);

function cli(...args: string[]) {
  const r = spawnSync(TSX, [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TEXT = 'It was the best of times, it was the worst of times, it was the age of wisdom. Ünïcödé 😀\n'.repeat(30);
const RUN = {
  model: { dModel: 16, nHeads: 2, nDecoderLayers: 1, dFF: 32, maxLen: 16 },
  task: { name: 'text', file: file('tale.txt'), tokenizer: 'char', contextLength: 16 },
  train: { batchSize: 8, steps: 4, seed: 0, evalEvery: 2, validationSize: 8, optimizer: { name: 'adam', lr: 0.01 } },
};
const config = (name: string, patch: { model?: object; task?: object; train?: object } = {}) => {
  writeFileSync(file(name), JSON.stringify({ model: { ...RUN.model, ...patch.model }, task: { ...RUN.task, ...patch.task }, train: { ...RUN.train, ...patch.train } }));
  return file(name);
};

beforeAll(() => {
  writeFileSync(file('tale.txt'), TEXT);
  const trained = cli('train', '--config', config('run.json'), '--out', file('w.json'), '--metrics', file('m.jsonl'));
  expect(trained.stderr).toBe('');
  expect(trained.code).toBe(0);
}, 300_000);

describe('train on a text file', () => {
  it('prints and writes the text task’s metrics, with a sample at every evaluation, and the tokenizer with the weights', () => {
    const lines = readFileSync(file('m.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const evals = lines.filter((l) => l.split === 'val');
    expect(evals.map((e) => e.step)).toEqual([2, 4]);
    for (const e of evals) {
      expect(Object.keys(e).sort()).toEqual(['bitsPerChar', 'loss', 'sample', 'split', 'step', 'tokenAccuracy']);
      const chars = [...TEXT];
      expect((e.sample as { prompt: string }).prompt).toBe(chars.slice(Math.floor(0.9 * chars.length)).slice(0, 4).join(''));
    }
    const weights = JSON.parse(readFileSync(file('w.json'), 'utf8')) as { tokenizer: { type: string; chars: string[] } };
    expect(weights.tokenizer.type).toBe('char');
    expect(weights.tokenizer.chars.join('')).toBe([...new Set(TEXT)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!).join(''));
  });
});

describe('sample', () => {
  const sample = (...flags: string[]) => cli('sample', '--weights', file('w.json'), '--prompt', 'It was', '--tokens', '40', ...flags);

  it('prints the prompt and its continuation and nothing else; the same seed gives the same text', () => {
    const a = sample('--seed', '7', '--temperature', '1.2');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout.startsWith('It was')).toBe(true);
    expect([...a.stdout].length).toBe(6 + 40);
    expect(sample('--seed', '7', '--temperature', '1.2').stdout).toBe(a.stdout);
    expect(sample('--seed', '8', '--temperature', '1.2').stdout).not.toBe(a.stdout);
  });

  it('is greedy at temperature 0, whatever the seed; top-k 1 is greedy too', () => {
    const greedy = sample('--temperature', '0', '--seed', '1').stdout;
    expect(sample('--temperature', '0', '--seed', '2').stdout).toBe(greedy);
    expect(sample('--top-k', '1', '--seed', '3').stdout).toBe(greedy);
  });
});

/** `error: <field>: <message>` and status 2, nothing else. */
function refused(r: ReturnType<typeof cli>, line: string) {
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`error: ${line}\n`);
  expect(r.code).toBe(2);
}

describe('bad input', () => {
  it.each([
    ['an empty file', Buffer.alloc(0), 'task.file: the text is empty (0 bytes)'],
    ['a binary file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'task.file: is not UTF-8 text: byte 0x89 at offset 0 is not valid UTF-8 (save the file as UTF-8)'],
    ['a Latin-1 file', Buffer.from('caf\xe9 au lait', 'latin1'), 'task.file: is not UTF-8 text: byte 0xE9 at offset 3 is not valid UTF-8 (save the file as UTF-8)'],
    ['a file with NUL bytes', Buffer.from('text\0more'), 'task.file: has a NUL character at offset 4: this looks like a binary file, not text'],
    ['a text shorter than two windows', Buffer.from('short text, a few words only'), 'task.file: the text is too short for contextLength 16: its validation part has 3 tokens, one window needs 17 tokens (use a longer text or a shorter context)'],
  ])('train refuses %s', (_what, bytes, line) => {
    writeFileSync(file('bad.txt'), bytes);
    refused(cli('train', '--config', config('bad.json', { task: { file: file('bad.txt') } })), line);
  });

  it.each([
    ['a missing file', { task: { file: file('nowhere.txt') } }, `task.file: cannot read ${file('nowhere.txt')}: ENOENT`],
    ['an unknown corpus', { task: { file: undefined, corpus: 'tinyshakespeare' } }, 'task.corpus: must be one of "carroll-alice", "shakespeare-hamlet", "austen-emma" (got "tinyshakespeare")'],
    ['a vocabSize below the characters plus specials', { task: { tokenizer: 'bpe', vocabSize: 10 } }, "task.vocabSize: vocabSize 10 is smaller than the text's 26 characters plus the 3 special tokens (29)"],
    ['a contextLength above maxLen', { task: { contextLength: 32 } }, "task.contextLength: contextLength 32 is longer than the model's maxLen 16"],
  ])('train refuses %s', (_what, patch, line) => {
    refused(cli('train', '--config', config('bad.json', patch)), line);
  });

  it('train --init refuses a file whose tokenizer is of another kind', () => {
    refused(cli('train', '--config', config('bpe.json', { task: { tokenizer: 'bpe', vocabSize: 29 } }), '--init', file('w.json')),
      '--init tokenizer.type: the file\'s "char" tokenizer differs from the run\'s task.tokenizer "bpe"');
  });

  it.each([
    ['no tokenizer', (w: Record<string, unknown>) => void delete w.tokenizer, 'tokenizer: is required: a text model carries its tokenizer (the lab writes it with the weights)'],
    ['a damaged tokenizer', (w: Record<string, unknown>) => void ((w.tokenizer as { chars: unknown }).chars = ['a', 'a']), 'tokenizer.chars[1]: "a" (U+0061) repeats chars[0]'],
    ['too big a tokenizer', (w: Record<string, unknown>) => void ((w.tokenizer as { chars: string[] }).chars = Array.from({ length: 60 }, (_, i) => String.fromCodePoint(0x4e00 + i))), "tokenizer: has 63 tokens, more than the model's tgtVocabSize 29"],
  ])('sample refuses weights with %s', (_what, damage, line) => {
    const w = JSON.parse(readFileSync(file('w.json'), 'utf8')) as Record<string, unknown>;
    damage(w);
    writeFileSync(file('damaged.json'), JSON.stringify(w));
    refused(cli('sample', '--weights', file('damaged.json')), line);
  });

  it.each([
    [['--prompt', 'Zebra'], '--prompt: has a character the tokenizer does not know: "Z" (U+005A)'],
    [['--temperature=-1'], '--temperature: must be a number from 0 (greedy) to 100 (got "-1")'],
    [['--top-k', '0'], '--top-k: must be a whole number from 1 to 9007199254740991 (got "0")'],
    [['--top-k', '500'], '--top-k: must be ≤ 26, the tokens this tokenizer can draw (got 500)'],
    [['--tokens', 'many'], '--tokens: must be a whole number from 1 to 100000 (got "many")'],
  ])('sample refuses %j', (flags, line) => {
    refused(cli('sample', '--weights', file('w.json'), ...flags), line);
  });
});
