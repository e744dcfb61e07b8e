import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { parseWeightsText } from '../../src/engine/weights/format';
import { LabDb } from '../../src/ui/storage/db';
import { emptyMetrics, addStep } from '../../src/worker/metricsData';
import { RunDb } from '../../src/worker/storage';
import { record, TINY, tinyWith } from './harness';

let dbCount = 0;
/** A fresh database, opened the way the worker opens it (RunDb) and the way the page reads it (LabDb). */
async function databases() {
  const name = `keep-${++dbCount}`;
  return { name, worker: await RunDb.open(name), page: await LabDb.open(name) };
}

/** What the page needs to keep runs and try them: checkpoints and metrics in IndexedDB, resuming from them, inspections. */
describe('kept runs in the session (cpu backend)', () => {
  it('stores a checkpoint at every evaluation and at the end, and the whole history, only for kept runs', async () => {
    const db = await databases();
    const r = record(db.worker);
    await r.send({ type: 'start', runId: 'plain', config: TINY });
    await r.waitFor('state', (e) => e.state === 'done');
    expect(r.of('checkpoint')).toEqual([]);
    expect(await db.page.checkpoint('plain')).toBeUndefined();
    await r.send({ type: 'start', runId: 'k', config: TINY, keep: true });
    await r.waitFor('state', (e) => e.runId === 'k' && e.state === 'done');
    expect(r.of('checkpoint', 'k').map((c) => c.step)).toEqual([3, 6]);
    // The checkpoint never travels to the page: the worker wrote it, with the metrics up to it.
    const last = parseWeightsText((await db.page.checkpoint('k'))!.text);
    expect(last.extra.training).toMatchObject({ step: 6 });
    expect(last.extra.optimizerState).toMatchObject({ name: 'adam', step: 6 });
    const stored = await db.page.metrics('k');
    expect(stored.step).toEqual([0, 1, 2, 3, 4, 5]);
    expect(stored.loss).toEqual(r.history('k').loss);
    expect(stored.evals.map((e) => e.step)).toEqual([3, 6]);
    expect(stored.memory.step).toHaveLength(6);
  });

  it('stores what every kind of evaluation adds: a text run’s samples, a forecast’s test split; a forecast resumes on the CSV sent again', async () => {
    const db = await databases();
    const r = record(db.worker);
    const text = {
      model: { dModel: 8, nHeads: 2, nDecoderLayers: 1, dFF: 16, maxLen: 16 },
      task: { name: 'text', corpus: 'carroll-alice', contextLength: 16 },
      train: { batchSize: 4, steps: 4, seed: 0, evalEvery: 2, validationSize: 4 },
    };
    await r.send({ type: 'start', runId: 't', config: text, keep: true });
    await r.waitFor('state', (e) => e.runId === 't' && e.state === 'done');
    const samples = (await db.page.metrics('t')).evals.map((e) => e.sample?.text);
    expect(samples).toHaveLength(2);
    expect(samples).toEqual(r.history('t').evals.map((e) => e.sample!.text));
    expect(samples.every((t) => typeof t === 'string' && t.length > 0)).toBe(true);

    const csv = ['t,a,b', ...Array.from({ length: 60 }, (_, i) => `${i},${Math.sin(i / 3).toFixed(3)},${((i % 7) / 7).toFixed(3)}`)].join('\n');
    const forecast = (steps: number) => ({
      model: { kind: 'forecaster', dModel: 8, nHeads: 2, nLayers: 1, dFF: 16 },
      task: { name: 'forecast', csv: 'mine.csv', columns: ['a', 'b'], lookback: 8, horizon: 4 },
      train: { batchSize: 8, steps, seed: 0, evalEvery: 2 },
    });
    await r.send({ type: 'start', runId: 'f', config: forecast(2), keep: true, files: { 'mine.csv': csv } });
    await r.waitFor('state', (e) => e.runId === 'f' && e.state === 'done');
    expect((await db.page.metrics('f')).evals.map((e) => [e.step, e.split])).toEqual([[2, 'val'], [2, 'test']]);
    const reloaded = record(await RunDb.open(db.name));
    await reloaded.send({ type: 'resumeKept', runId: 'f', config: forecast(4), resumeTo: 4, files: { 'mine.csv': csv } });
    await reloaded.waitFor('state', (e) => e.runId === 'f' && e.state === 'done');
    // Resumed from step 2, which it evaluates again (validation only: its end is now step 4).
    expect((await db.page.metrics('f')).evals.map((e) => [e.step, e.split])).toEqual([[2, 'val'], [4, 'val'], [4, 'test']]);
  });

  it('resumes a kept run from its stored checkpoint after a reload: the same steps as one uninterrupted run, and the whole curve', async () => {
    const straight = record();
    await straight.send({ type: 'start', runId: 's', config: tinyWith({ steps: 8, evalEvery: 4 }) });
    await straight.waitFor('state', (e) => e.state === 'done');

    const db = await databases();
    const first = record(db.worker);
    await first.send({ type: 'start', runId: 'i', config: tinyWith({ steps: 4, evalEvery: 4 }), keep: true });
    await first.waitFor('state', (e) => e.state === 'done');
    // The page went away at step 6, after the worker stored two more steps than the checkpoint holds.
    const beyond = emptyMetrics();
    for (const s of [4, 5]) addStep(beyond, { step: s, loss: 99, lr: 0, gradNorm: 0, tokensPerSec: 0, stepMs: 0 });
    await db.worker.record('i', { metrics: beyond, progress: { step: 6, activeMs: 50 } });
    expect((await db.page.loadAll()).runs).toEqual([]); // the page had not written its record: progress alone says how far it got
    expect((await db.page.metrics('i')).step).toEqual([0, 1, 2, 3, 4, 5]);

    const reloaded = await RunDb.open(db.name);
    const resumed = record(reloaded);
    await resumed.send({ type: 'resumeKept', runId: 'i', config: tinyWith({ steps: 8, evalEvery: 4 }), resumeTo: 8, activeMs: 50 });
    await resumed.waitFor('state', (e) => e.state === 'done');
    expect(resumed.of('started', 'i')[0]).toMatchObject({ startStep: 4, targetSteps: 8 });
    expect(resumed.history('i').loss).toEqual(straight.history('s').loss.slice(4));
    // Steps 0-3 from the first session, 4-7 redone by the second: every step once, the stale ones gone.
    const whole = await db.page.metrics('i');
    expect(whole.step).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(whole.loss).toEqual(straight.history('s').loss);
    expect(whole.evals.map((e) => e.step)).toEqual([4, 8]);
    expect(resumed.of('progress', 'i').at(-1)!.activeMs).toBeGreaterThan(50); // training time goes on from the earlier sessions'
  });

  it('starts a kept run from the beginning when no checkpoint is stored', async () => {
    const db = await databases();
    const r = record(db.worker);
    await r.send({ type: 'resumeKept', runId: 'n', config: TINY, resumeTo: 6 });
    expect(await r.waitFor('held')).toMatchObject({ runId: 'n', step: 0 });
    await r.send({ type: 'release', runId: 'n' });
    await r.waitFor('state', (e) => e.state === 'done');
    expect(r.of('started', 'n')[0]).toMatchObject({ startStep: 0, imported: false });
    expect((await db.page.metrics('n')).step).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('answers an inspection with the greedy output and attention maps, and refuses one without a run', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'a', config: TINY });
    await r.waitFor('state', (e) => e.state === 'done');
    await r.send({ type: 'inspect', runId: 'a', requestId: 3, input: [3, 4, 5] });
    const answer = await r.waitFor('inspected');
    expect(answer).toMatchObject({ runId: 'a', requestId: 3, inspection: { input: [3, 4, 5] } });
    expect(answer.inspection.maps.map((m) => m.kind)).toEqual(['encoder-self', 'decoder-self', 'cross']);
    await r.send({ type: 'inspect', runId: 'nope', requestId: 4, input: [3] });
    expect((await r.waitFor('error')).message).toMatch(/no run "nope"/);
  });
});
