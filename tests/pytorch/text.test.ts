import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWeights } from '../../src/engine/weights/format';
import { CORPUS_PACKAGE } from '../../src/tasks/text/corpora';
import { prepareTextData, TrainWindows, trainingCharacters, validationStarts } from '../../src/tasks/text/data';
import { Tokenizer } from '../../src/tasks/text/tokenizer';
import { python, ROOT } from './python';

const dir = mkdtempSync(path.join(tmpdir(), 'pytorch-text-'));
const file = (name: string) => path.join(dir, name);
const SCRIPT = 'tools/pytorch/continue_training.py';

function cli(...args: string[]) {
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ALICE = readFileSync(path.join(ROOT, 'node_modules', CORPUS_PACKAGE, 'gutenberg/carroll-alice.txt'), 'utf8');
const TEXT = `${ALICE.slice(0, 6000)}\nÜnïcödé, 日本語, 👩‍👩‍👧 and 😀.\n`;

// SGD with Nesterov momentum, as tests/pytorch/continue.test.ts: one step compares to 1e-5.
const RUN = {
  model: { dModel: 16, nHeads: 2, nDecoderLayers: 2, dFF: 32, maxLen: 24, positional: 'learned' },
  task: { name: 'text', file: file('text.txt'), tokenizer: 'bpe', vocabSize: 120, contextLength: 24 },
  train: { batchSize: 8, steps: 8, seed: 3, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, gradAccumSteps: 2, evalEvery: 100, validationSize: 8 },
};

const readJson = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as Record<string, unknown>;
type Line = { step: number; loss: number; split?: string; bitsPerChar?: number; tokenAccuracy?: number };
const lines = (name: string) => readFileSync(file(name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

beforeAll(() => {
  writeFileSync(file('text.txt'), TEXT);
  writeFileSync(file('run.json'), JSON.stringify(RUN));
  const first = cli('train', '--config', file('run.json'), '--out', file('lab8.json'));
  expect(first.code, first.stderr).toBe(0);
  const next = cli('train', '--config', file('run.json'), '--init', file('lab8.json'), '--steps', '9', '--out', file('lab9.json'), '--metrics', file('lab9.jsonl'));
  expect(next.code, next.stderr).toBe(0);
}, 120_000);

describe('the text task in labtorch', () => {
  it.each(['char', 'bpe'] as const)('%s: encodes and decodes as the lab does, and draws the same windows', (kind) => {
    const task = { ...RUN.task, name: 'text', tokenizer: kind, contextLength: 16 } as const;
    const tokenizer = kind === 'char' ? Tokenizer.chars(TEXT) : Tokenizer.bpe(TEXT, trainingCharacters(TEXT), 300);
    const data = prepareTextData(task, TEXT, { tokenizer });
    const windows = new TrainWindows(data, 11);
    for (let s = 0; s < 5; s++) windows.nextStarts(8);
    const r = python('tests/pytorch/py/text.py', [], { tokenizer: tokenizer.toJson(), text: TEXT, task, seed: 11, start: 5, batchSize: 8, validationSize: 100 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { ids: number[]; decoded: string; starts: number[]; validation: number[] };
    expect(out.ids).toEqual(Array.from(data.ids));
    expect(out.decoded).toBe(TEXT);
    expect(out.starts).toEqual(windows.nextStarts(8));
    expect(out.validation).toEqual(validationStarts(data, 100));
  });

  it('loads a lab-trained text model with the same logits; a round trip keeps its tokenizer', () => {
    const batch = { tgtIn: [[3, 4, 5, 6, 7, 8]], tgtOut: [[4, 5, 6, 7, 8, 9]] };
    writeFileSync(file('batch.json'), JSON.stringify(batch));
    const r = python('tests/pytorch/py/forward.py', [file('lab8.json'), file('batch.json'), file('torch-logits.json'), file('roundtrip.json')]);
    expect(r.code, r.stderr).toBe(0);
    const lab = cli('forward', '--weights', file('lab8.json'), '--batch', file('batch.json'), '--out', file('lab-out.json'));
    expect(lab.code, lab.stderr).toBe(0);
    expect(maxDiff((readJson('torch-logits.json') as { data: number[] }).data, (readJson('lab-out.json').logits as { data: number[] }).data)).toBeLessThan(1e-5);
    expect(readJson('roundtrip.json').tokenizer).toEqual(readJson('lab8.json').tokenizer);
  });

  it('continue_training.py continues a text run with the lab\'s next step, evaluation and tokenizer', () => {
    const r = python(SCRIPT, ['--weights', file('lab8.json'), '--steps', '9', '--out', file('torch9.json'), '--metrics', file('torch9.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/continuing at step 8 of 9/);
    expect(r.stderr).toMatch(/eval @9 {2}val loss [\d.]+ {2}bits\/char [\d.]+ {2}token accuracy/);
    const [lab, torch] = [lines('lab9.jsonl'), lines('torch9.jsonl')];
    expect(Math.abs(torch[0]!.loss - lab[0]!.loss)).toBeLessThan(1e-5);
    const [labEval, torchEval] = [lab.find((l) => l.split === 'val')!, torch.find((l) => l.split === 'val')!];
    expect(Math.abs(torchEval.loss - labEval.loss)).toBeLessThan(1e-5);
    expect(Math.abs(torchEval.bitsPerChar! - labEval.bitsPerChar!)).toBeLessThan(1e-5);
    expect(torchEval.tokenAccuracy).toBe(labEval.tokenAccuracy);
    const [a, b] = [parseWeights(readJson('lab9.json')), parseWeights(readJson('torch9.json'))];
    expect(Math.max(...[...a.tensors].map(([name, t]) => maxDiff(t.values, b.tensors.get(name)!.values)))).toBeLessThan(1e-5);
    expect(readJson('torch9.json').tokenizer).toEqual(readJson('lab9.json').tokenizer);
    // The lab reads the result and samples from it.
    const sampled = cli('sample', '--weights', file('torch9.json'), '--prompt', 'Alice', '--tokens', '5');
    expect(sampled.code, sampled.stderr).toBe(0);
    expect(sampled.stdout.startsWith('Alice')).toBe(true);
  });

  it('a handed-over corpus run carries its text beside the weights', () => {
    const corpusRun = { ...RUN, task: { name: 'text', corpus: 'carroll-alice', contextLength: 16 }, train: { ...RUN.train, steps: 2 } };
    writeFileSync(file('corpus-run.json'), JSON.stringify(corpusRun));
    const trained = cli('train', '--config', file('corpus-run.json'), '--out', file('corpus2.json'));
    expect(trained.code, trained.stderr).toBe(0);
    const handed = cli('handover', '--weights', file('corpus2.json'), '--out-dir', file('handover'));
    expect(handed.code, handed.stderr).toBe(0);
    expect(readFileSync(file('handover/text.txt'), 'utf8')).toBe(ALICE);
    const run = JSON.parse(readFileSync(file('handover/run.json'), 'utf8')) as { task: Record<string, unknown> };
    expect(run.task).toEqual({ name: 'text', file: file('handover/text.txt'), tokenizer: 'char', vocabSize: 512, contextLength: 16 });
    const r = python(SCRIPT, ['--weights', file('handover/weights.json'), '--config', file('handover/run.json'), '--steps', '3', '--out', file('handover/continued.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(cli('train', '--config', file('handover/run.json'), '--init', file('handover/continued.json'), '--steps', '4').code).toBe(0);
  });

  it.each([
    ['no tokenizer', (w: Record<string, unknown>) => void delete w.tokenizer, 'tokenizer: is required: a text model carries its tokenizer (the lab writes it with the weights)'],
    ['a damaged tokenizer', (w: Record<string, unknown>) => void ((w.tokenizer as { merges: unknown[] }).merges[0] = [3, 999]), 'tokenizer.merges[0]: must be a pair of token ids from 3 to'],
    ['another kind of tokenizer', (w: Record<string, unknown>) => void (w.tokenizer = { type: 'char', chars: (w.tokenizer as { chars: string[] }).chars }), 'tokenizer.type: the file\'s "char" tokenizer differs from the run\'s task.tokenizer "bpe"'],
  ])('continue_training.py refuses a text run whose file has %s, as the lab does', (_what, damage, line) => {
    const w = readJson('lab8.json');
    damage(w);
    writeFileSync(file('damaged.json'), JSON.stringify(w));
    const r = python(SCRIPT, ['--weights', file('damaged.json'), '--out', file('never.json')]);
    expect(r.stderr.startsWith(`error: ${line}`), r.stderr).toBe(true);
    expect(r.code).toBe(2);
  });
});
