import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { forecast } from '../../src/engine/forecaster/forward';
import { createContext } from '../../src/engine/model/context';
import { TransformerModel } from '../../src/engine/model/model';
import { isForecaster } from '../../src/engine/modelKind';
import { isForecastRun, parseLabRunConfig } from '../../src/engine/runConfig';
import { parseWeights } from '../../src/engine/weights/format';
import { fileSeries } from '../../src/cli/series';
import { trainingOrder, windowBatch } from '../../src/tasks/forecast/batches';
import { prepareForecastData } from '../../src/tasks/forecast/series';
import { onBackend } from '../helpers/backends';
import { python, ROOT } from './python';

const dir = mkdtempSync(path.join(tmpdir(), 'pytorch-forecast-'));
const file = (name: string) => path.join(dir, name);
const SCRIPT = 'tools/pytorch/continue_training.py';

function cli(...args: string[]) {
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// SGD with Nesterov momentum: an update linear in the gradient, so one step compares closely.
const RUN = {
  model: { kind: 'forecaster', dModel: 16, nHeads: 2, nLayers: 2, dFF: 32 },
  task: { name: 'forecast', dataset: 'seattle-weather', columns: ['temp_max', 'temp_min', 'wind'], lookback: 24, horizon: 7 },
  train: { batchSize: 16, steps: 8, seed: 5, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true }, gradAccumSteps: 2, evalEvery: 100 },
};
const readJson = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as Record<string, unknown>;

beforeAll(() => {
  writeFileSync(file('run.json'), JSON.stringify(RUN));
  const first = cli('train', '--config', file('run.json'), '--out', file('lab8.json'));
  expect(first.code, first.stderr).toBe(0);
  const next = cli('train', '--config', file('run.json'), '--init', file('lab8.json'), '--steps', '9', '--out', file('lab9.json'));
  expect(next.code, next.stderr).toBe(0);
  const handover = cli('handover', '--weights', file('lab8.json'), '--out-dir', file('handover'), '--nproc', '1');
  expect(handover.code, handover.stderr).toBe(0);
}, 120_000);

describe('the forecast task and the forecaster in PyTorch (labtorch)', () => {
  it('reads the same series: columns, training-row statistics, split, windows and training order; the same forecasts', async () => {
    const r = python('tests/pytorch/py/forecast_data.py', [file('handover/run.json'), file('py.json'), file('lab8.json')]);
    expect(r.code, r.stderr).toBe(0);
    const py = readJson('py.json') as { run: unknown; columns: string[]; mean: number[]; std: number[]; bounds: Record<string, number[]>; windows: Record<string, number[]>; order: number[][]; values: number[]; prediction: number[] };
    const run = parseLabRunConfig(RUN, fileSeries());
    if (!isForecastRun(run)) throw new Error('not a forecast run');
    expect(py.run).toEqual(JSON.parse(JSON.stringify(run)));
    const data = prepareForecastData(run.task, fileSeries()(run.task));
    expect(py.columns).toEqual(data.columns);
    expect(py.mean).toEqual(data.mean);
    expect(py.std).toEqual(data.std);
    expect(py.bounds).toEqual(data.bounds);
    for (const s of ['train', 'val', 'test'] as const) expect(py.windows[s]).toEqual(Array.from(data.windows[s]));
    expect(py.values).toEqual(Array.from(data.values));
    const order = trainingOrder(data, run.train.seed);
    expect(py.order).toEqual([order.next(16), order.next(16), order.next(16)]);
    // The same forecasts from the lab's weights.
    await onBackend('cpu');
    const weights = parseWeights(readJson('lab8.json'));
    if (!isForecaster(weights.config)) throw new Error('not a forecaster');
    const model = TransformerModel.fromValues(weights.config, weights.tensors);
    const batch = windowBatch(data, data.windows.val.subarray(0, 8));
    const y = tf.tidy(() => forecast(createContext({ dropoutRate: 0, dropoutSeed: null }), model.lookup, weights.config as never, tf.tensor3d(batch.x, [8, 24, 3])));
    const lab = await y.data();
    y.dispose();
    model.dispose();
    expect(Math.max(...py.prediction.map((v, i) => Math.abs(v - lab[i]!)))).toBeLessThan(1e-5);
  });

  it('continues exactly: one PyTorch step from the lab file equals the lab’s next step', () => {
    const r = python(SCRIPT, ['--weights', file('handover/weights.json'), '--config', file('handover/run.json'), '--out', file('torch9.json'), '--steps', '9', '--encoding', 'data']);
    expect(r.code, r.stderr).toBe(0);
    const lab = parseWeights(readJson('lab9.json'));
    const torch = parseWeights(readJson('torch9.json'));
    let worst = 0;
    for (const [name, t] of lab.tensors) {
      const other = torch.tensors.get(name)!.values;
      t.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - other[i]!))));
    }
    expect(worst).toBeLessThan(1e-5);
    expect((readJson('torch9.json').training as { step: number }).step).toBe(9);
  });

  it('the lab reads what PyTorch wrote and trains on from it', () => {
    const r = cli('train', '--config', file('handover/run.json'), '--init', file('torch9.json'), '--steps', '10', '--metrics', file('back.jsonl'));
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(file('back.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; split?: string });
    expect(lines[0]!.step).toBe(9);
    expect(lines.filter((l) => l.split).map((l) => l.split)).toEqual(['val', 'test']);
  });
});
