import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureValues, readFixture, relativeError, type FixtureTensor } from '../helpers/fixtures';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'cli-forecast-'));
const file = (name: string) => path.join(dir, name);

function cli(...args: string[]) {
  const r = spawnSync(TSX, [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CSV = ['time,load,temp', ...Array.from({ length: 120 }, (_, i) => `${i},${(10 + 3 * Math.sin(i / 4) + (i % 3)).toFixed(3)},${(5 + Math.cos(i / 7)).toFixed(3)}`)].join('\n');
const run = (task: Record<string, unknown> = {}, train: Record<string, unknown> = {}) => ({
  model: { kind: 'forecaster', dModel: 8, nHeads: 2, nLayers: 1, dFF: 16 },
  task: { name: 'forecast', csv: file('series.csv'), columns: ['load', 'temp'], lookback: 8, horizon: 4, ...task },
  train: { batchSize: 8, steps: 6, seed: 0, evalEvery: 3, optimizer: { name: 'adam', lr: 0.01 }, ...train },
});

interface ForecasterCase {
  weights: unknown;
  batch: unknown;
  loss: number;
  prediction: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  trajectories?: { optimizer: unknown; losses: number[] }[];
}

describe('the command line with a forecaster', () => {
  it('forward writes the loss, the prediction (for logits) and the grads torch_reference.py writes', () => {
    const fixture = readFixture<ForecasterCase>('forecaster', 'norm-preln-gelu.json');
    writeFileSync(file('w.json'), JSON.stringify(fixture.weights));
    writeFileSync(file('b.json'), JSON.stringify(fixture.batch));
    const r = cli('forward', '--weights', file('w.json'), '--batch', file('b.json'), '--out', file('o.json'), '--grads');
    expect(r.stderr).toBe('');
    const out = JSON.parse(readFileSync(file('o.json'), 'utf8')) as { loss: number; prediction: { shape: number[]; data: number[] }; grads: Record<string, { data: number[] }>; logits?: unknown };
    expect(out.logits).toBeUndefined();
    expect(out.prediction.shape).toEqual(fixture.prediction.shape);
    expect(relativeError(out.prediction.data, fixtureValues(fixture.prediction))).toBeLessThan(1e-4);
    expect(Math.abs(out.loss - fixture.loss)).toBeLessThan(1e-4);
    for (const [name, g] of Object.entries(fixture.grads)) expect(relativeError(out.grads[name]!.data, fixtureValues(g))).toBeLessThan(1e-4);
  });

  it('train --batch follows torch_reference.py train on the forecaster batch JSON', () => {
    const fixture = readFixture<ForecasterCase>('forecaster', 'norm-preln-gelu.json');
    const adam = fixture.trajectories!.find((t) => (t.optimizer as { name: string }).name === 'adam')!;
    const cfg = (fixture.weights as { config: Record<string, unknown> }).config;
    writeFileSync(file('w.json'), JSON.stringify(fixture.weights));
    writeFileSync(file('b.json'), JSON.stringify(fixture.batch));
    const csv4 = ['t,a,b,c,d', ...Array.from({ length: 80 }, (_, i) => `${i},${Math.sin(i)},${Math.cos(i / 2)},${i % 5},${(i * 7) % 11}`)].join('\n');
    writeFileSync(file('four.csv'), csv4);
    writeFileSync(file('r.json'), JSON.stringify({
      model: cfg, task: { name: 'forecast', csv: file('four.csv'), columns: ['a', 'b', 'c', 'd'], lookback: 6, horizon: 3 },
      train: { batchSize: 3, steps: 10, seed: 0, evalEvery: 100, optimizer: adam.optimizer },
    }));
    const r = cli('train', '--config', file('r.json'), '--init', file('w.json'), '--batch', file('b.json'), '--metrics', file('m.jsonl'));
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(file('m.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; split?: string; mse?: number; mae?: number });
    const losses = lines.filter((l) => !l.split).map((l) => l.loss);
    expect(Math.max(...losses.map((l, i) => Math.abs(l - adam.losses[i]!)))).toBeLessThan(1e-3);
    // The task makes nothing: the evaluation is the given batch's (its MSE and MAE), not the series' splits.
    const evals = lines.filter((l) => l.split);
    expect(evals.map((l) => [l.step, l.split])).toEqual([[10, 'batch']]);
    expect(evals[0]!.mse).toBe(evals[0]!.loss);
    expect(typeof evals[0]!.mae).toBe('number');
    // A window that does not fit the model is refused, naming it.
    const bad = structuredClone(fixture.batch) as { x: number[][][] };
    bad.x[1] = bad.x[1]!.slice(1);
    writeFileSync(file('bad-b.json'), JSON.stringify(bad));
    const refused = cli('train', '--config', file('r.json'), '--batch', file('bad-b.json'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: batch\.x\[1\]: must hold 6 rows \(the model's lookback 6\)/m);
  });

  it('trains on a CSV: metrics lines with mse, mae and both baselines, on validation and at the end on test', () => {
    writeFileSync(file('series.csv'), CSV);
    writeFileSync(file('run.json'), JSON.stringify(run()));
    const r = cli('train', '--config', file('run.json'), '--metrics', file('m.jsonl'), '--out', file('out.json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/eval @6 {2}test loss [\d.]+ {2}MSE [\d.]+ {2}MAE [\d.]+ {2}repeat-last MSE [\d.]+ {2}linear MSE/);
    const lines = readFileSync(file('m.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const evals = lines.filter((l) => l.split);
    expect(evals.map((l) => [l.step, l.split])).toEqual([[3, 'val'], [6, 'val'], [6, 'test']]);
    for (const key of ['loss', 'mse', 'mae', 'repeatLastMse', 'linearMse', 'repeatLastMae', 'linearMae', 'evalPeakBytes', 'hostTargetBytes']) expect(typeof evals[0]![key]).toBe('number');
    expect(typeof lines[0]!.tokensPerSec).toBe('number');
    const out = JSON.parse(readFileSync(file('out.json'), 'utf8')) as { config: { nVariates: number }; training: { run: { task: { columns: string[] } } } };
    expect(out.config.nVariates).toBe(2);
    expect(out.training.run.task.columns).toEqual(['load', 'temp']);
  });

  it.each([
    ['a CSV without a header', '1,2,3\n4,5,6\n', {}, 'error: task.csv: row 1 holds numbers ("1", "2", "3"), not column names: the CSV needs a header row'],
    ['a chosen column that is not numeric', CSV.replace('\n3,', '\nthree,'), { columns: ['time', 'load'] }, 'error: task.csv: column "time" is not numeric: row 5, column "time" holds "three"'],
    ['a missing value', CSV.replace(/\n7,([\d.]+),/, '\n7,,'), {}, 'error: task.csv: row 9, column "load": the value is missing (""); fill or drop the row, the lab fills nothing in'],
    ['lookback out of bounds', CSV, { lookback: 0 }, 'error: task.lookback: must be ≥ 1 (got 0)'],
    ['too few rows', CSV, { horizon: 20 }, 'error: task.lookback: 120 rows are too few for one window of lookback 8 + horizon 20 in each split'],
  ])('refuses %s with exit status 2 and the field', (_name, text, task, message) => {
    writeFileSync(file('bad.csv'), text);
    writeFileSync(file('bad.json'), JSON.stringify(run({ csv: file('bad.csv'), ...task })));
    const r = cli('train', '--config', file('bad.json'));
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(message);
  });

  it('refuses a weights file whose nVariates differs from the CSV’s columns', () => {
    writeFileSync(file('series.csv'), CSV);
    writeFileSync(file('run.json'), JSON.stringify(run()));
    const three = ['a,b,c', ...Array.from({ length: 120 }, (_, i) => `${Math.sin(i)},${i % 7},${Math.cos(i)}`)].join('\n');
    writeFileSync(file('three.csv'), three);
    writeFileSync(file('run3.json'), JSON.stringify(run({ csv: file('three.csv'), columns: ['a', 'b', 'c'] }, { steps: 1 })));
    expect(cli('train', '--config', file('run3.json'), '--out', file('three.json')).code).toBe(0);
    const r = cli('train', '--config', file('run.json'), '--init', file('three.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --init config.nVariates: 3 differs from the run config\'s model.nVariates 2 (the columns the task reads: "load", "temp")\n');
  });
});
