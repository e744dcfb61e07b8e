import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFloat32Base64 } from '../../src/engine/weights/base64';
import { parseWeights } from '../../src/engine/weights/format';
import { python, ROOT, torchrun } from './python';

const dir = mkdtempSync(path.join(tmpdir(), 'pytorch-'));
const file = (name: string) => path.join(dir, name);
const SCRIPT = 'tools/pytorch/continue_training.py';

function cli(...args: string[]) {
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A port nothing listens on right now, for torchrun's rendezvous. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

// SGD with Nesterov momentum: its update is linear in the gradient, so one step compares to 1e-5.
// (Adam divides by the root of tiny second moments: gradients that are zero in exact arithmetic,
// such as attention's key bias, turn float noise into updates of lr size.)
const RUN = {
  model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 8 },
  task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 4 },
  train: { batchSize: 16, steps: 8, seed: 1, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, gradAccumSteps: 2, evalEvery: 100, validationSize: 16 },
};
const BATCH = { src: [[3, 4, 5, 2], [6, 2, 0, 0]], tgtIn: [[1, 5, 4, 3], [1, 6, 0, 0]], tgtOut: [[5, 4, 3, 2], [6, 2, 0, 0]] };

const readJson = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as Record<string, unknown>;
const lines = (name: string) => readFileSync(file(name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; split?: string });
const trainLosses = (name: string) => lines(name).filter((l) => l.split === undefined).map((l) => l.loss);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function weightsDiff(a: string, b: string): number {
  const x = parseWeights(readJson(a));
  const y = parseWeights(readJson(b));
  return Math.max(...[...x.tensors].map(([name, t]) => maxDiff(t.values, y.tensors.get(name)!.values)));
}

function forwardLogits(weights: string, out: string): number[] {
  const r = cli('forward', '--weights', file(weights), '--batch', file('batch.json'), '--out', file(out));
  expect(r.code, r.stderr).toBe(0);
  return (readJson(out).logits as { data: number[] }).data;
}

beforeAll(() => {
  writeFileSync(file('run.json'), JSON.stringify(RUN));
  writeFileSync(file('batch.json'), JSON.stringify(BATCH));
  const first = cli('train', '--config', file('run.json'), '--out', file('lab8.json'), '--metrics', file('lab8.jsonl'));
  expect(first.code, first.stderr).toBe(0);
  const next = cli('train', '--config', file('run.json'), '--init', file('lab8.json'), '--steps', '9', '--out', file('lab9.json'), '--metrics', file('lab9.jsonl'));
  expect(next.code, next.stderr).toBe(0);
}, 120_000);

describe('lab → PyTorch → lab', () => {
  it('keeps the model: the same logits in both, and a round trip changes nothing', () => {
    const r = python('tests/pytorch/py/forward.py', [file('lab8.json'), file('batch.json'), file('torch-logits.json'), file('roundtrip.json')]);
    expect(r.code, r.stderr).toBe(0);
    const lab = forwardLogits('lab8.json', 'lab-out.json');
    const back = forwardLogits('roundtrip.json', 'back-out.json');
    expect(maxDiff(back, lab)).toBe(0);
    expect(maxDiff((readJson('torch-logits.json') as { data: number[] }).data, lab)).toBeLessThan(1e-5);
    expect(readJson('roundtrip.json').optimizerState).toEqual(readJson('lab8.json').optimizerState);
  });

  it('continues with the lab\'s next step: same batch, loss, optimizer state, update and evaluation', () => {
    const r = python(SCRIPT, ['--weights', file('lab8.json'), '--steps', '9', '--out', file('torch9.json'), '--metrics', file('torch9.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/continuing at step 8 of 9/);
    expect(Math.abs(trainLosses('torch9.jsonl')[0]! - trainLosses('lab9.jsonl')[0]!)).toBeLessThan(1e-5);
    expect(weightsDiff('torch9.json', 'lab9.json')).toBeLessThan(1e-5);
    type Evaluation = { step: number; loss: number; exactMatch: number; tokenAccuracy: number };
    const [labEval, torchEval] = ['lab9.jsonl', 'torch9.jsonl'].map((n) => lines(n).find((l) => l.split === 'val') as unknown as Evaluation);
    expect(torchEval!.step).toBe(labEval!.step);
    expect(Math.abs(torchEval!.loss - labEval!.loss)).toBeLessThan(1e-5);
    expect([torchEval!.exactMatch, torchEval!.tokenAccuracy]).toEqual([labEval!.exactMatch, labEval!.tokenAccuracy]);
    const lab = readJson('lab9.json');
    const torch = readJson('torch9.json');
    expect(torch.training).toEqual(lab.training);
    type State = { step: number; slots: Record<string, { momentum_buffer: { shape: number[]; base64: string } }> };
    const [a, b] = [lab.optimizerState as State, torch.optimizerState as State];
    expect(b.step).toBe(a.step);
    expect(Object.keys(b.slots)).toEqual(Object.keys(a.slots));
    for (const [name, slots] of Object.entries(a.slots)) {
      expect(maxDiff(decodeFloat32Base64(b.slots[name]!.momentum_buffer.base64), decodeFloat32Base64(slots.momentum_buffer.base64)), name).toBeLessThan(1e-5);
    }
  });
});

describe('lab → PyTorch with checkpointing', () => {
  it('applies `train.checkpointing` (torch.utils.checkpoint) and takes the plain step to the bit', () => {
    // One layer a stack is one kept segment, as in the lab: nothing to recompute (the layers'
    // recompute itself: tests/pytorch/checkpointing.test.ts).
    writeFileSync(file('run-layers.json'), JSON.stringify({ ...RUN, train: { ...RUN.train, checkpointing: 'layers' } }));
    const r = python(SCRIPT, ['--weights', file('lab8.json'), '--config', file('run-layers.json'), '--steps', '9', '--out', file('torch9-layers.json'), '--encoding', 'data']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/checkpointing: segments of 1 layer\(s\), 0 of 2 layers recomputed/);
    const plain = python(SCRIPT, ['--weights', file('lab8.json'), '--steps', '9', '--out', file('torch9-plain.json'), '--encoding', 'data']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toMatch(/checkpointing:/);
    expect(weightsDiff('torch9-layers.json', 'torch9-plain.json')).toBe(0);
  });
});

describe('continue_training.py on bad input', () => {
  it('prints the lab\'s kind of line and exits with status 2', () => {
    const bare = readJson('lab8.json');
    delete bare.training;
    writeFileSync(file('bare.json'), JSON.stringify(bare));
    const r = python(SCRIPT, ['--weights', file('bare.json'), '--out', file('never.json')]);
    expect(r.stderr).toBe(`error: --config: is required: ${file('bare.json')} carries no run config (training.run); lab files written by \`train --out\` do\n`);
    expect(r.code).toBe(2);
    writeFileSync(file('odd.json'), JSON.stringify({ ...RUN, train: { ...RUN.train, batchSize: 15, gradAccumSteps: 3 } }));
    // As rank 0 of 2 under torchrun: the check runs before any process group is started.
    const odd = python(SCRIPT, ['--weights', file('lab8.json'), '--config', file('odd.json'), '--out', file('never.json')], undefined, { RANK: '0', WORLD_SIZE: '2' });
    expect(odd.stderr).toBe('error: train.batchSize: batchSize 15 is not divisible by gradAccumSteps × processes (3 × 2): every process takes an equal share of each micro-batch\n');
    expect(odd.code).toBe(2);
  });
});

describe('torchrun --nproc_per_node 2 (gloo)', () => {
  it('keeps lowering the loss, holds one model on both ranks, and hands back a file the lab continues', async () => {
    const r = torchrun(2, await freePort(), SCRIPT, ['--weights', file('lab8.json'), '--steps', '16', '--out', file('ddp16.json'), '--metrics', file('ddp16.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    const digests = [...r.stderr.matchAll(/rank (\d) weights sha256 ([0-9a-f]{64})/g)].map((m) => [m[1], m[2]]);
    expect(digests.map(([rank]) => rank).sort()).toEqual(['0', '1']);
    expect(digests[0]![1]).toBe(digests[1]![1]);
    const lab = trainLosses('lab8.jsonl');
    const ddp = trainLosses('ddp16.jsonl');
    expect(lines('ddp16.jsonl')[0]!.step).toBe(8);
    expect(ddp).toHaveLength(8);
    // The lab's first step after the hand-over, computed on one process, is the DDP run's first.
    expect(Math.abs(ddp[0]! - trainLosses('lab9.jsonl')[0]!)).toBeLessThan(1e-5);
    expect(mean(ddp.slice(-3))).toBeLessThan(mean(lab.slice(-3)));
    expect(readJson('ddp16.json').training).toMatchObject({ step: 16, run: { train: { steps: 16 } } });
    forwardLogits('ddp16.json', 'ddp-out.json');
    const more = cli('train', '--config', file('run.json'), '--init', file('ddp16.json'), '--steps', '17', '--out', file('lab17.json'));
    expect(more.code, more.stderr).toBe(0);
    expect(more.stdout).toMatch(/step 17\/17/);
  }, 180_000);
});
