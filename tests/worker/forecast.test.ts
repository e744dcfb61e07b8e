import { describe, expect, it } from 'vitest';
import { parseWeightsText } from '../../src/engine/weights/format';
import { record } from './harness';

const CSV = ['day,load,temp,wind', ...Array.from({ length: 100 }, (_, i) => `${i},${(10 + 3 * Math.sin(i / 4)).toFixed(3)},${(5 + Math.cos(i / 7)).toFixed(3)},${(i % 5) + 0.5}`)].join('\n');
const config = (task: Record<string, unknown>, train: Record<string, unknown> = {}) => ({
  model: { kind: 'forecaster', dModel: 8, nHeads: 2, nLayers: 1, dFF: 16 },
  task: { name: 'forecast', lookback: 8, horizon: 4, ...task },
  train: { batchSize: 8, steps: 4, seed: 0, evalEvery: 2, optimizer: { name: 'adam', lr: 0.01 }, ...train },
});

describe('forecast runs in the worker session (cpu backend)', () => {
  it('trains on a dropped CSV: evaluations with the baselines, the test split at the end, windows to inspect', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'f', config: config({ csv: 'load.csv', columns: ['load', 'temp', 'wind'] }), files: { 'load.csv': CSV } });
    await r.waitFor('state', (e) => e.state === 'done');
    const evals = r.history('f').evals;
    expect(evals.map((m) => [m.step, m.split])).toEqual([[2, 'val'], [4, 'val'], [4, 'test']]);
    expect(evals[0]).toMatchObject({ mse: expect.any(Number), mae: expect.any(Number), linearMse: expect.any(Number), repeatLastMse: expect.any(Number) });
    expect(r.of('started', 'f')[0]!.config.model).toMatchObject({ kind: 'forecaster', nVariates: 3 });
    await r.send({ type: 'inspectWindow', runId: 'f', requestId: 3, split: 'val', index: 2 });
    const { inspection } = await r.waitFor('inspectedWindow');
    expect(inspection).toMatchObject({ split: 'val', index: 2, columns: ['load', 'temp', 'wind'] });
    expect(inspection.history).toHaveLength(8);
    expect(inspection.truth).toHaveLength(4);
    expect(inspection.prediction).toHaveLength(4);
    expect(inspection.attention[0]!.heads).toHaveLength(2);
    for (const row of inspection.attention[0]!.heads[0]!) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('predicts the memory of a config on a dropped CSV sent with the request, before any start', async () => {
    const r = record();
    const onCsv = config({ csv: 'load.csv', columns: ['load', 'temp', 'wind'] });
    await r.send({ type: 'predict', requestId: 1, config: onCsv });
    expect((await r.waitFor('prediction', (e) => e.requestId === 1)).message).toMatch(/^task\.csv: /);
    await r.send({ type: 'predict', requestId: 2, config: onCsv, files: { 'load.csv': CSV } });
    const answer = await r.waitFor('prediction', (e) => e.requestId === 2);
    expect(answer.message).toBeUndefined();
    expect(answer.prediction!.bytes.peak).toBeGreaterThan(0);
  });

  it('trains on a shipped series', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 's', config: config({ dataset: 'co2-concentration' }, { steps: 2 }) });
    await r.waitFor('state', (e) => e.state === 'done');
    expect(r.of('started', 's')[0]!.config.task).toMatchObject({ columns: ['CO2', 'adjusted CO2'] });
  });

  it('refuses a bad CSV or a mismatched weights file with the field, and leaves the current run untouched', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'a', config: config({ csv: 'load.csv', columns: ['load', 'temp'] }, { steps: 300, evalEvery: 1000 }), files: { 'load.csv': CSV } });
    await r.waitFor('metrics', (e) => e.data.step.some((s) => s >= 1));
    await r.send({ type: 'start', runId: 'b', config: config({ csv: 'bad.csv' }), files: { 'bad.csv': CSV.replace(/\n5,[\d.]+,/, '\n5,,') } });
    const bad = await r.waitFor('error', (e) => e.runId === 'b');
    expect(bad.message).toBe('task.csv: row 7, column "load": the value is missing (""); fill or drop the row, the lab fills nothing in');
    // A file of three variates against the page's two columns.
    const three = await (async () => {
      const other = record();
      await other.send({ type: 'start', runId: 'x', config: config({ csv: 'load.csv', columns: ['load', 'temp', 'wind'] }, { steps: 1 }), files: { 'load.csv': CSV } });
      await other.waitFor('state', (e) => e.state === 'done');
      await other.send({ type: 'export', runId: 'x', requestId: 1 });
      const text = (await other.waitFor('exported')).text;
      const doc = JSON.parse(text) as Record<string, unknown>;
      delete doc.training;
      return JSON.stringify(doc);
    })();
    expect(parseWeightsText(three).config).toMatchObject({ nVariates: 3 });
    await r.send({ type: 'importWeights', runId: 'c', text: three, config: config({ csv: 'load.csv', columns: ['load', 'temp'] }) });
    const mismatch = await r.waitFor('error', (e) => e.runId === 'c');
    expect(mismatch.message).toBe('model.nVariates: 3 differs from the 2 columns the task reads ("load", "temp")');
    const before = r.history('a').step.length;
    await r.waitFor('metrics', (e) => e.runId === 'a' && e.data.step.some((s) => s >= before + 1));
    expect(r.of('state', 'a').map((e) => e.state)).toEqual(['starting', 'running']);
    await r.send({ type: 'stop', runId: 'a' });
  });
});
