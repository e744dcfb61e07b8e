import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureNames, fixtureValues, maxAbsError, readFixture, relativeError, type FixtureTensor } from '../helpers/fixtures';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
const file = (name: string) => path.join(dir, name);

function cli(...args: string[]) {
  const r = spawnSync(TSX, [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY_RUN = {
  model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10 },
  task: { name: 'copy', minLength: 1, maxLength: 4, symbols: 4 },
  train: { batchSize: 8, steps: 4, seed: 0, evalEvery: 2, validationSize: 16, optimizer: { name: 'adam', lr: 0.01 } },
};

interface ParityCase {
  weights: unknown;
  batch: unknown;
  loss: number;
  logits: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

describe('forward', () => {
  it.each(['cpu', 'wasm'])('writes the loss, logits and grads torch_reference.py writes (%s)', (backend) => {
    const fixture = readFixture<ParityCase>('parity', 'encdec-postln-gelu-learned.json');
    writeFileSync(file('w.json'), JSON.stringify(fixture.weights));
    writeFileSync(file('b.json'), JSON.stringify(fixture.batch));
    const r = cli('forward', '--weights', file('w.json'), '--batch', file('b.json'), '--out', file('o.json'), '--grads', '--backend', backend);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(readFileSync(file('o.json'), 'utf8')) as { loss: number; logits: { shape: number[]; data: number[] }; grads: Record<string, { data: number[] }> };
    expect(Math.abs(out.loss - fixture.loss)).toBeLessThan(1e-4);
    expect(out.logits.shape).toEqual(fixture.logits.shape);
    expect(maxAbsError(out.logits.data, fixtureValues(fixture.logits))).toBeLessThan(1e-4);
    expect(Object.keys(out.grads).sort()).toEqual(Object.keys(fixture.grads).sort());
    for (const [name, g] of Object.entries(out.grads)) expect(relativeError(g.data, fixtureValues(fixture.grads[name]!)), name).toBeLessThan(1e-4);
  });
});

describe('--threads: the wasm backend\'s threaded build in Node', () => {
  it('gives torch_reference.py\'s loss, logits and grads with XNNPACK on two threads, and the process ends by itself', () => {
    const fixture = readFixture<ParityCase>('parity', 'encdec-postln-gelu-learned.json');
    writeFileSync(file('t-w.json'), JSON.stringify(fixture.weights));
    writeFileSync(file('t-b.json'), JSON.stringify(fixture.batch));
    // spawnSync returns only once the process has exited: XNNPACK's waiting workers must not hold it.
    const r = cli('forward', '--weights', file('t-w.json'), '--batch', file('t-b.json'), '--out', file('t-o.json'), '--grads', '--threads', '2');
    expect(r.stderr).toBe('wasm: 2 XNNPACK threads\n');
    expect(r.code).toBe(0);
    const out = JSON.parse(readFileSync(file('t-o.json'), 'utf8')) as { loss: number; logits: { data: number[] }; grads: Record<string, { data: number[] }> };
    expect(Math.abs(out.loss - fixture.loss)).toBeLessThan(1e-4);
    expect(maxAbsError(out.logits.data, fixtureValues(fixture.logits))).toBeLessThan(1e-4);
    expect(Object.keys(out.grads).sort()).toEqual(Object.keys(fixture.grads).sort());
    for (const [name, g] of Object.entries(out.grads)) expect(relativeError(g.data, fixtureValues(fixture.grads[name]!)), name).toBeLessThan(1e-4);
  });

  it('trains on the same trajectory as one thread', () => {
    writeFileSync(file('t-run.json'), JSON.stringify(TINY_RUN));
    const losses = (threads: string) => {
      const r = cli('train', '--config', file('t-run.json'), '--threads', threads, '--metrics', file(`t-${threads}.jsonl`));
      expect(r.code, r.stderr).toBe(0);
      return metricLines(file(`t-${threads}.jsonl`)).filter((m) => m.split === undefined).map((m) => m.loss);
    };
    const one = losses('1');
    const two = losses('2');
    expect(two).toHaveLength(TINY_RUN.train.steps);
    for (const [i, loss] of two.entries()) expect(Math.abs(loss - one[i]!), `step ${i + 1}`).toBeLessThan(1e-5);
  });
});

describe('forward --precision', () => {
  it.each(['fp16', 'bf16'])('applies the autocast policy (%s) as the PyTorch emulation does', (precision) => {
    const parity = readFixture<ParityCase>('parity', 'enc-preln-relu-learned.json');
    const autocast = readFixture<{ formats: Record<string, { loss: number }> }>('autocast', 'enc-preln-relu-learned.json');
    writeFileSync(file('p-w.json'), JSON.stringify(parity.weights));
    writeFileSync(file('p-b.json'), JSON.stringify(parity.batch));
    const r = cli('forward', '--weights', file('p-w.json'), '--batch', file('p-b.json'), '--out', file('p-o.json'), '--precision', precision);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(file('p-o.json'), 'utf8')) as { loss: number };
    expect(Math.abs(out.loss - autocast.formats[precision]!.loss)).toBeLessThan(1e-5);
    expect(Math.abs(out.loss - parity.loss)).toBeGreaterThan(1e-6);
  });
});

describe('train', () => {
  it('prints progress, writes metrics JSONL and weights, and continues from --init', () => {
    writeFileSync(file('run.json'), JSON.stringify(TINY_RUN));
    const r = cli('train', '--config', file('run.json'), '--metrics', file('m.jsonl'), '--out', file('trained.json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/step 4\/4 \[=+\] 100% {2}loss \d\.\d{4}/);
    expect(r.stdout).toMatch(/eval @4 {2}val loss [\d.]+ {2}exact match [\d.]+%/);
    const lines = readFileSync(file('m.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = lines.filter((l) => l.split === undefined);
    expect(steps.map((l) => l.step)).toEqual([0, 1, 2, 3]);
    for (const l of steps) for (const key of ['loss', 'lr', 'gradNorm', 'tokensPerSec']) expect(typeof l[key], key).toBe('number');
    const evals = lines.filter((l) => l.split === 'val');
    expect(evals.map((l) => l.step)).toEqual([2, 4]);
    for (const l of evals) for (const key of ['loss', 'exactMatch', 'tokenAccuracy']) expect(typeof l[key], key).toBe('number');
    const weights = JSON.parse(readFileSync(file('trained.json'), 'utf8')) as Record<string, unknown>;
    expect(weights.format).toBe('transformer-lab/weights');
    expect((weights.optimizerState as { step: number }).step).toBe(4);

    const again = cli('train', '--config', file('run.json'), '--init', file('trained.json'), '--steps', '6', '--backend', 'cpu');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/step 6\/6/);
    expect(again.stdout).not.toMatch(/step 1\/6/);
  });

  it('trains on a fixed --batch', () => {
    const fixture = readFixture<ParityCase>('parity', 'dec-postln-relu-sinusoidal.json');
    const run = {
      model: (fixture.weights as { config: unknown }).config,
      task: { name: 'copy', minLength: 1, maxLength: 4, symbols: 7 },
      train: { batchSize: 3, steps: 3, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true } },
    };
    writeFileSync(file('fixed-run.json'), JSON.stringify(run));
    writeFileSync(file('fixed-w.json'), JSON.stringify(fixture.weights));
    writeFileSync(file('fixed-b.json'), JSON.stringify(fixture.batch));
    const r = cli('train', '--config', file('fixed-run.json'), '--init', file('fixed-w.json'), '--batch', file('fixed-b.json'), '--metrics', file('fixed.jsonl'), '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const losses = readFileSync(file('fixed.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number; split?: string })
      .filter((l) => !l.split).map((l) => l.loss);
    const reference = readFixture<{ trajectories: { losses: number[] }[] }>('parity', 'dec-postln-relu-sinusoidal.json').trajectories[0]!.losses;
    expect(maxAbsError(losses, reference.slice(0, 3))).toBeLessThan(1e-3);
  });
});

/** tests/fixtures/batch (tools/fixtures/make_batch_fixtures.py): a model smaller than its task, a batch that fits it. */
interface BatchCase {
  run: { model: Record<string, unknown>; task: { name: string }; train: Record<string, unknown> };
  weights: unknown;
  batch: Record<string, number[][]>;
  losses: number[];
}

const metricLines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { loss: number; split?: string });

describe('train --batch: the task makes nothing, so it constrains nothing', () => {
  it.each(fixtureNames('batch'))('%s: a model smaller than its task trains on a batch that fits it, on torch_reference.py train\'s trajectory', (name) => {
    const fixture = readFixture<BatchCase>('batch', `${name}.json`);
    const [run, w, b, m] = [`${name}-run.json`, `${name}-w.json`, `${name}-b.json`, `${name}.jsonl`].map(file);
    writeFileSync(run!, JSON.stringify(fixture.run));
    writeFileSync(w!, JSON.stringify(fixture.weights));
    writeFileSync(b!, JSON.stringify(fixture.batch));
    // Without a batch the task would make the data, and the model cannot hold it.
    const refused = cli('train', '--config', run!, '--init', w!);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^error: model\\.tgtVocabSize: tgtVocabSize \\d+ is smaller than the ${fixture.run.task.name} task's vocabulary \\(\\d+\\)$`, 'm'));

    const r = cli('train', '--config', run!, '--init', w!, '--batch', b!, '--metrics', m!);
    expect(r.code, r.stderr).toBe(0);
    const lines = metricLines(m!);
    const losses = lines.filter((l) => !l.split).map((l) => l.loss);
    expect(losses).toHaveLength(fixture.losses.length);
    expect(maxAbsError(losses, fixture.losses)).toBeLessThan(1e-3);
    // The evaluation is the batch's own, dropout off: after the last step, below the first step's loss.
    const evals = lines.filter((l) => l.split);
    expect(evals.map((l) => [l.step, l.split])).toEqual([[fixture.losses.length, 'batch']]);
    for (const key of ['exactMatch', 'tokenAccuracy']) expect(typeof evals[0]![key], key).toBe('number');
    expect(evals[0]!.loss).toBeLessThan(fixture.losses.at(-1)!);
    expect(r.stdout).toMatch(/eval @10 {2}batch loss [\d.]+ {2}exact match [\d.]+% {2}token accuracy [\d.]+%/);
  });

  it('two micro-batches of the given batch follow the same trajectory', () => {
    const fixture = readFixture<BatchCase>('batch', 'encdec-smaller-than-reverse.json');
    writeFileSync(file('k2-run.json'), JSON.stringify({ ...fixture.run, train: { ...fixture.run.train, gradAccumSteps: 2 } }));
    writeFileSync(file('k2-w.json'), JSON.stringify(fixture.weights));
    writeFileSync(file('k2-b.json'), JSON.stringify(fixture.batch));
    const r = cli('train', '--config', file('k2-run.json'), '--init', file('k2-w.json'), '--batch', file('k2-b.json'), '--metrics', file('k2.jsonl'));
    expect(r.code, r.stderr).toBe(0);
    expect(maxAbsError(metricLines(file('k2.jsonl')).filter((l) => !l.split).map((l) => l.loss), fixture.losses)).toBeLessThan(1e-3);
  });

  it.each([
    ['a source token the model has no embedding for', (b: Record<string, number[][]>) => { b.src![2]![1] = 11; },
      /^error: batch\.src\[2\]\[1\]: token 11 is not below the model's srcVocabSize 11$/m],
    ['a target token past the generator', (b: Record<string, number[][]>) => { b.tgtOut![3]![0] = 9; },
      /^error: batch\.tgtOut\[3\]\[0\]: token 9 is not below the model's tgtVocabSize 9$/m],
    ['rows longer than maxLen', (b: Record<string, number[][]>) => { for (const f of ['tgtIn', 'tgtOut']) b[f] = b[f]!.map((row) => [...row, 0, 0]); },
      /^error: batch\.tgtIn\[0\]: has 9 tokens \(the batch's padded length\), more than the model's maxLen 8$/m],
  ])('refuses %s, naming the row (exit status 2)', (_name, spoil, message) => {
    const fixture = readFixture<BatchCase>('batch', 'encdec-smaller-than-reverse.json');
    spoil(fixture.batch);
    writeFileSync(file('bad-run.json'), JSON.stringify(fixture.run));
    writeFileSync(file('bad-b.json'), JSON.stringify(fixture.batch));
    const r = cli('train', '--config', file('bad-run.json'), '--batch', file('bad-b.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('bench', () => {
  it('--json prints the documented figures', () => {
    writeFileSync(file('run.json'), JSON.stringify(TINY_RUN));
    const r = cli('bench', '--config', file('run.json'), '--steps', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, number>;
    for (const key of ['tokensPerSec', 'stepMs', 'peakBytes', 'matmulGflops', 'mfu']) {
      expect(Number.isFinite(result[key]), key).toBe(true);
      expect(result[key], key).toBeGreaterThan(0);
    }
    expect(r.stderr).toMatch(/bench step 3\/3/);
  });
});

describe('bad input: a message naming the field, exit code 2, no stack trace', () => {
  const bad = (name: string, value: unknown) => {
    writeFileSync(file(name), typeof value === 'string' ? value : JSON.stringify(value));
    return file(name);
  };
  const cases: [string, () => string[], RegExp][] = [
    ['unknown command', () => ['fly'], /^error: command: unknown command "fly"; expected train, forward, bench, handover or sample$/m],
    ['missing flag', () => ['train'], /^error: --config: is required by train$/m],
    ['unknown flag', () => ['train', '--config', 'x', '--colour', 'red'], /^error: train: Unknown option '--colour'/m],
    ['flag of another command', () => ['bench', '--config', 'x', '--grads'], /^error: --grads: is not an option of bench$/m],
    ['bad precision', () => ['forward', '--weights', 'w', '--batch', 'b', '--out', 'o', '--precision', 'fp8'], /^error: --precision: must be one of fp32, fp16, bf16 \(got "fp8"\)$/m],
    ['bad backend', () => ['bench', '--config', 'x', '--backend', 'tpu'], /^error: --backend: must be one of wasm, cpu, webgpu \(got "tpu"\)$/m],
    ['bad thread count', () => ['bench', '--config', 'x', '--threads', '9'], /^error: --threads: must be a whole number from 1 to 8, or auto \(got "9"\)$/m],
    ['threads off wasm', () => ['bench', '--config', 'x', '--threads', '2', '--backend', 'cpu'], /^error: --threads: sets the wasm backend's XNNPACK threads; --backend is cpu$/m],
    ['bad steps', () => ['train', '--config', 'x', '--steps', 'ten'], /^error: --steps: must be a whole number ≥ 0 \(got "ten"\)$/m],
    ['missing file', () => ['train', '--config', file('nope.json')], /^error: --config: cannot read .*nope\.json: ENOENT$/m],
    ['not JSON', () => ['train', '--config', bad('notjson.json', '{"model": ')], /^error: --config: .*notjson\.json is not valid JSON/m],
    ['heads do not divide', () => ['train', '--config', bad('heads.json', { ...TINY_RUN, model: { ...TINY_RUN.model, dModel: 30, nHeads: 4 } })],
      /^error: model\.dModel: dModel 30 is not divisible by nHeads 4$/m],
    ['bad optimizer', () => ['train', '--config', bad('opt.json', { ...TINY_RUN, train: { ...TINY_RUN.train, optimizer: { name: 'adam', lr: -1 } } })],
      /^error: train\.optimizer\.lr: /m],
    ['model too short for the task', () => ['train', '--config', bad('short.json', { ...TINY_RUN, model: { ...TINY_RUN.model, maxLen: 4 } })],
      /^error: model\.maxLen: maxLen 4 is shorter than the longest sequence the copy task makes for the encoder-decoder layout \(5\)$/m],
    ['accumulation does not divide', () => ['train', '--config', bad('accum.json', { ...TINY_RUN, train: { ...TINY_RUN.train, gradAccumSteps: 3 } })],
      /^error: train\.gradAccumSteps: batchSize 8 is not divisible by gradAccumSteps 3$/m],
    ['malformed weights', () => ['forward', '--weights', bad('w-bad.json', { format: 'transformer-lab/weights', version: 2 }), '--batch', 'x', '--out', file('o.json')],
      /^error: version: /m],
  ];
  it.each(cases)('%s', (_, args, message) => {
    const r = cli(...args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});
