import { describe, expect, it } from 'vitest';
import { paramSpecs } from '../../src/engine/params';
import { parseRunConfig } from '../../src/engine/runConfig';
import { parseWeightsText } from '../../src/engine/weights/format';
import { BackendFailure } from '../../src/worker/errors';
import { record, TINY, tinyWith } from './harness';

/** The worker's engine-driving side, on the cpu backend in Node, through its message protocol. */
describe('training session (cpu backend)', () => {
  it('runs a config to the end: ready, started, every step, evaluations, memory, done — all tagged, in batches', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'a', config: TINY });
    await r.waitFor('state', (e) => e.state === 'done');
    expect(r.events[0]).toMatchObject({ type: 'ready', runId: null, backend: 'cpu' });
    const started = r.of('started', 'a')[0]!;
    expect(started).toMatchObject({ startStep: 0, targetSteps: 6, imported: false, parameterCount: expect.any(Number) });
    expect(started.config).toEqual(parseRunConfig(TINY));
    expect(r.of('state', 'a').map((e) => e.state)).toEqual(['starting', 'running', 'done']);
    const m = r.history('a');
    expect(m.step).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 0; i < 6; i++) expect(Number.isFinite(m.loss[i]!) && m.lr[i] === 0.01 && m.tokensPerSec[i]! > 0).toBe(true);
    expect(m.warmup).toEqual([0]); // the first step of the session pays the warm-up
    expect(m.evals.map((e) => e.step)).toEqual([3, 6]);
    expect(m.memory.step).toEqual([0, 1, 2, 3, 4, 5]);
    expect(m.memory.inUse[0]).toBeGreaterThan(0);
    // The engine's live tensors after each step travel with the batches too.
    expect(m.liveTensors).toHaveLength(6);
    for (let i = 0; i < 6; i++) expect(m.liveTensors[i]! > 0 && m.liveBytes[i]! > 0).toBe(true);
    expect(m.liveTensors[5]).toBe(m.liveTensors[4]);
    expect(r.events.filter((e) => e.type !== 'ready' && e.runId !== 'a')).toEqual([]);
  });

  it('reads steps back through the trainer’s window: every readbackEvery steps, the first alone, and before each evaluation', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'w', config: tinyWith({ steps: 9, evalEvery: 6, readbackEvery: 3 }) });
    await r.waitFor('state', (e) => e.state === 'done');
    const m = r.history('w');
    expect(m.step).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // The steps of one read share its wall time evenly: [0], [1 2 3], [4 5] (cut by the evaluation at 6), [6 7 8].
    const windows = [[0], [1, 2, 3], [4, 5], [6, 7, 8]];
    for (const w of windows) expect(new Set(w.map((i) => m.stepMs[i])).size).toBe(1);
    const firstOfEach = windows.map((w) => m.stepMs[w[0]!]);
    expect(new Set(firstOfEach).size).toBe(windows.length);
    expect(m.evals.map((e) => e.step)).toEqual([6, 9]);
  });

  it('sends metrics in a few batches a second, not a message per step', async () => {
    const r = record();
    const t0 = performance.now();
    await r.send({ type: 'start', runId: 'b', config: tinyWith({ steps: 60, evalEvery: 1000 }) });
    await r.waitFor('state', (e) => e.state === 'done');
    const seconds = (performance.now() - t0) / 1000;
    expect(r.history('b').step).toHaveLength(60);
    expect(r.history('b').memory.step).toHaveLength(60);
    // At most one batch per 250 ms of training, plus the ones the state changes and the final evaluation send.
    expect(r.of('metrics', 'b').length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 4);
    expect(r.of('metrics', 'b').length).toBeLessThan(60);
  });

  it('exports the reference weights JSON with optimizer state and the run config', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'a', config: TINY });
    await r.waitFor('state', (e) => e.state === 'done');
    await r.send({ type: 'export', runId: 'a', requestId: 7 });
    const out = await r.waitFor('exported');
    expect(out).toMatchObject({ runId: 'a', requestId: 7, step: 6, fromSnapshot: false });
    const parsed = parseWeightsText(out.text);
    const run = parseRunConfig(TINY);
    expect(parsed.config).toEqual(run.model);
    expect([...parsed.tensors.keys()]).toEqual(paramSpecs(run.model).map((s) => s.name));
    expect(parsed.extra.training).toEqual({ step: 6, run });
    expect((parsed.extra.optimizerState as { name: string; step: number })).toMatchObject({ name: 'adam', step: 6 });
  });

  it('pauses at a step boundary, resumes, and stops with a final evaluation', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'p', config: tinyWith({ steps: 200, evalEvery: 100 }) });
    await r.waitFor('progress', (e) => e.step >= 2);
    await r.send({ type: 'pause', runId: 'p' });
    const paused = await r.waitFor('state', (e) => e.state === 'paused');
    const count = r.history('p').step.length;
    expect(count).toBe(paused.step); // every step reached the page before the state change
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.history('p').step).toHaveLength(count); // nothing runs while paused
    await r.send({ type: 'resume', runId: 'p' });
    await r.waitFor('progress', (e) => e.step >= count + 2);
    await r.send({ type: 'stop', runId: 'p' });
    const stopped = await r.waitFor('state', (e) => e.state === 'stopped');
    expect(r.of('state', 'p').map((e) => e.state)).toEqual(['starting', 'running', 'pausing', 'paused', 'running', 'stopping', 'stopped']);
    expect(stopped.step).toBeLessThan(200);
    expect(r.history('p').evals.at(-1)!.step).toBe(stopped.step);
  });

  it('holds between steps while the page draws: before the first step when asked, and on request', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'h', config: tinyWith({ steps: 50, evalEvery: 100 }), holdFirst: true });
    expect(await r.waitFor('held')).toMatchObject({ runId: 'h', step: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.history('h').step).toEqual([]); // nothing runs until the page releases
    await r.send({ type: 'release', runId: 'h' });
    await r.waitFor('progress', (e) => e.step >= 2);
    await r.send({ type: 'hold', runId: 'h' });
    const held = await r.waitFor('held', (e) => e.step > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.history('h').step).toHaveLength(held.step); // every step so far reached the page before `held`
    await r.send({ type: 'hold', runId: 'h' }); // asked again while held: answered at once
    expect(r.of('held', 'h').at(-1)!.step).toBe(held.step);
    await r.send({ type: 'release', runId: 'h' });
    await r.waitFor('progress', (e) => e.step >= held.step + 2);
    await r.send({ type: 'stop', runId: 'h' });
    await r.waitFor('state', (e) => e.state === 'stopped');
  });

  it('refuses a bad config with the engine messages, by field', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'x', config: tinyWith({ optimizer: { name: 'adam', lr: -1 } }) });
    const err = await r.waitFor('error');
    expect(err).toMatchObject({ runId: 'x', kind: 'config', fatal: false });
    expect(err.issues).toEqual([{ path: 'train.optimizer.lr', message: 'must be ≥ 0 (got -1)' }]);
    expect(r.of('started')).toEqual([]);
  });

  it('imports weights to evaluate and continue exactly; a bad file leaves the current run untouched', async () => {
    const whole = record();
    await whole.send({ type: 'start', runId: 'w', config: tinyWith({ steps: 8 }) });
    await whole.waitFor('state', (e) => e.state === 'done');

    const r = record();
    await r.send({ type: 'start', runId: 'a', config: TINY });
    await r.waitFor('state', (e) => e.state === 'done');
    await r.send({ type: 'export', runId: 'a', requestId: 1 });
    const { text } = await r.waitFor('exported');

    await r.send({ type: 'importWeights', runId: 'bad', text: '{"format": "nope"}', config: TINY });
    const err = await r.waitFor('error', (e) => e.runId === 'bad');
    expect(err.kind).toBe('config');
    expect(err.message).toMatch(/^format: must be "transformer-lab\/weights"/);
    await r.send({ type: 'export', runId: 'a', requestId: 2 });
    expect((await r.waitFor('exported', (e) => e.requestId === 2)).text).toBe(text);

    await r.send({ type: 'importWeights', runId: 'b', text, config: {} });
    const paused = await r.waitFor('state', (e) => e.runId === 'b' && e.state === 'paused');
    expect(paused).toMatchObject({ step: 6, targetSteps: 6 });
    expect(r.of('started', 'b')[0]).toMatchObject({ imported: true, startStep: 6 });
    expect(r.history('b').evals[0]).toEqual(r.history('a').evals.at(-1));

    await r.send({ type: 'resume', runId: 'b', steps: 8 });
    await r.waitFor('state', (e) => e.runId === 'b' && e.state === 'done');
    const continued = r.history('b');
    const straight = whole.history('w');
    expect(continued.step).toEqual(straight.step.slice(6));
    expect(continued.loss).toEqual(straight.loss.slice(6));
  });

  it('reports divergence with a suggestion and keeps the last good weights exportable', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'd', config: tinyWith({ steps: 50, evalEvery: 1, optimizer: { name: 'sgd', lr: 1e30 } }) });
    const err = await r.waitFor('error');
    expect(err).toMatchObject({ runId: 'd', kind: 'diverged', fatal: true });
    expect(err.suggestion).toMatch(/learning rate/);
    await r.waitFor('state', (e) => e.state === 'failed');
    await r.send({ type: 'export', runId: 'd', requestId: 3 });
    const out = await r.waitFor('exported');
    expect(out).toMatchObject({ fromSnapshot: true, step: err.lastGoodStep });
    expect(() => parseWeightsText(out.text)).not.toThrow();
  });

  it('turns a lost device into a fatal error and exports the last good weights', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'g', config: tinyWith({ steps: 500, evalEvery: 2 }) });
    await r.waitFor('progress', (e) => e.step >= 3 && e.phase === 'training'); // after the evaluation (and snapshot) at 2
    r.failBackend(new BackendFailure('device-lost', 'test: the GPU went away'));
    const err = await r.waitFor('error');
    expect(err).toMatchObject({ runId: 'g', kind: 'device-lost', fatal: true });
    expect(err.lastGoodStep).toBeGreaterThanOrEqual(2);
    await r.send({ type: 'export', runId: 'g', requestId: 4 });
    const out = await r.waitFor('exported');
    expect(out).toMatchObject({ fromSnapshot: true, step: err.lastGoodStep });
    const stepsAfter = r.history('g').step.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.history('g').step).toHaveLength(stepsAfter);
  });

  it('predicts memory from a config, or answers with the engine message', async () => {
    const r = record();
    await r.send({ type: 'predict', requestId: 1, config: TINY });
    const ok = await r.waitFor('prediction', (e) => e.requestId === 1);
    expect(ok.prediction!.parameterCount).toBe(paramSpecs(parseRunConfig(TINY).model).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
    expect(ok.prediction!.bytes.parameters).toBe(ok.prediction!.parameterCount * 4);
    await r.send({ type: 'predict', requestId: 2, config: tinyWith({ batchSize: 0 }) });
    const bad = await r.waitFor('prediction', (e) => e.requestId === 2);
    expect(bad.prediction).toBeNull();
    expect(bad.message).toMatch(/train\.batchSize/);
  });

  it('answers commands for an unknown run with an error naming it', async () => {
    const r = record();
    await r.send({ type: 'pause', runId: 'ghost' });
    expect(await r.waitFor('error')).toMatchObject({ runId: 'ghost', kind: 'other', fatal: false });
  });
});
