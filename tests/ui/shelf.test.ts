import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { buildGrid } from '../../src/ui/compare/grid';
import { TINY_CONFIG } from '../../src/ui/config/presets';
import { LabController } from '../../src/ui/lab/controller';
import { runsOf } from '../../src/ui/lab/library';
import { LabStore } from '../../src/ui/lab/store';
import { comparisonFileText, parseComparisonFile } from '../../src/ui/storage/comparisonFile';
import { LabDb } from '../../src/ui/storage/db';
import type { Command, WorkerEvent } from '../../src/worker/protocol';
import { messageOf } from '../helpers/errors';

let dbCount = 0;

/** A page with a fake worker over a fresh IndexedDB; `reload` opens a new page on the same database. */
async function page(dbName = `shelf-${++dbCount}`) {
  const sent: Command[] = [];
  let listener: (e: WorkerEvent) => void = () => {};
  const store = new LabStore('auto', { schedule: (flush) => queueMicrotask(flush) });
  const lab = new LabController({ post: (c) => sent.push(c), listen: (l) => (listener = l) }, store, () => {}, () => LabDb.open(dbName));
  await new Promise((r) => setTimeout(r, 20));
  return { lab, store, sent, dbName, emit: (e: WorkerEvent) => { listener(e); store.flush(); } };
}

const GRID = { base: TINY_CONFIG, axes: [{ key: 'optimizer' as const, values: 'adam, sgd(lr=0.1)' }, { key: 'precision' as const, values: 'fp32, fp16' }] };

/** Plays a worker that trains `steps` steps of the run it was last told to start, then finishes. */
function train(p: Awaited<ReturnType<typeof page>>, runId: string, from: number, to: number, finish: 'done' | 'stopped' | 'running') {
  const config = buildGrid(GRID)[0]!.config;
  p.emit({ type: 'started', runId, config, parameterCount: 1, startStep: from, targetSteps: 40, imported: from > 0 });
  p.emit({ type: 'state', runId, state: 'running', step: from, targetSteps: 40 });
  for (let s = from; s < to; s++) p.emit({ type: 'step', runId, metrics: { step: s, loss: 2 - s / 100, lr: 0.01, gradNorm: 1, tokensPerSec: 10, stepMs: 1 } });
  p.emit({ type: 'checkpoint', runId, step: to, text: `{"format":"transformer-lab/weights","step":${to}}` });
  if (finish !== 'running') p.emit({ type: 'state', runId, state: finish, step: to, targetSteps: 40 });
}

describe('kept runs and grids', () => {
  it('runs a grid one run after another, keeps it across a reload, and resumes from the checkpoint', async () => {
    const p = await page();
    const cells = buildGrid(GRID);
    const id = p.lab.shelf.startGrid('optimizer × precision', GRID, cells);
    const runs = runsOf(p.store.getState().library, id);
    expect(runs.map((r) => r.name)).toEqual(['adam · fp32', 'adam · fp16', 'sgd(lr=0.1) · fp32', 'sgd(lr=0.1) · fp16']);
    await new Promise((r) => setTimeout(r, 0));
    const starts = () => p.sent.filter((c) => c.type === 'start' || c.type === 'importWeights').map((c) => c.runId);
    expect(starts()).toEqual([runs[0]!.id]);
    train(p, runs[0]!.id, 0, 40, 'done');
    await new Promise((r) => setTimeout(r, 0));
    expect(starts()).toEqual([runs[0]!.id, runs[1]!.id]);
    train(p, runs[1]!.id, 0, 10, 'running'); // the page goes away while run 2 trains
    await p.lab.shelf.flushed();

    const again = await page(p.dbName);
    const kept = runsOf(again.store.getState().library, id);
    expect(kept.map((r) => r.status)).toEqual(['done', 'interrupted', 'queued', 'queued']);
    expect(kept[0]!.metrics.length).toBe(40);
    expect(kept[1]!.checkpointStep).toBe(10);
    again.lab.shelf.resume(kept[1]!.id);
    await new Promise((r) => setTimeout(r, 20));
    const resumed = again.sent.find((c) => c.type === 'importWeights');
    expect(resumed).toMatchObject({ runId: kept[1]!.id, text: '{"format":"transformer-lab/weights","step":10}', keep: true, resumeTo: 40 });
    // The resumed run continues its own metrics from step 10.
    kept[1]!.metrics.addStep({ step: 12, loss: 1, lr: 0, gradNorm: 0, tokensPerSec: 0, stepMs: 0 });
    train(again, kept[1]!.id, 10, 40, 'done');
    expect(again.store.getState().run!.metrics.step).toEqual([...Array(40).keys()]);
  });

  it('cancels a queued run and re-runs it from the start', async () => {
    const p = await page();
    const id = p.lab.shelf.startGrid('g', GRID, buildGrid(GRID));
    const runs = runsOf(p.store.getState().library, id);
    p.lab.shelf.cancel(runs[1]!.id);
    await new Promise((r) => setTimeout(r, 0));
    train(p, runs[0]!.id, 0, 40, 'done');
    await new Promise((r) => setTimeout(r, 0));
    expect(p.sent.filter((c) => c.type === 'start').map((c) => c.runId)).toEqual([runs[0]!.id, runs[2]!.id]);
    p.lab.shelf.cancel(runs[2]!.id);
    expect(p.sent.at(-1)).toEqual({ type: 'stop', runId: runs[2]!.id });
    p.emit({ type: 'state', runId: runs[2]!.id, state: 'stopped', step: 0, targetSteps: 40 });
    expect(runsOf(p.store.getState().library, id).map((r) => r.status)).toEqual(['done', 'cancelled', 'cancelled', 'queued']);
    train(p, runs[3]!.id, 0, 40, 'done');
    p.lab.shelf.rerun(runs[0]!.id);
    await new Promise((r) => setTimeout(r, 0));
    expect(p.sent.filter((c) => c.type === 'start').at(-1)!.runId).toBe(runs[0]!.id);
    expect(runsOf(p.store.getState().library, id)[0]!.metrics.length).toBe(0);
  });
});

describe('comparison files', () => {
  it('round-trip a comparison with its runs and checkpoints under new ids', async () => {
    const p = await page();
    const id = p.lab.shelf.startGrid('g', GRID, buildGrid(GRID));
    const runs = runsOf(p.store.getState().library, id);
    await new Promise((r) => setTimeout(r, 0));
    train(p, runs[0]!.id, 0, 5, 'stopped');
    const lib = p.store.getState().library;
    const kept = runsOf(lib, id).map((r) => ({ ...r, metrics: r.metrics.toData() }));
    const text = comparisonFileText(lib.comparisons.find((c) => c.id === id)!, kept, await p.lab.shelf.checkpoints([runs[0]!.id]));
    let n = 0;
    const read = parseComparisonFile(text, (prefix) => `${prefix}-new-${++n}`);
    expect(read.comparison).toMatchObject({ id: 'cmp-new-1', name: 'g', grid: GRID });
    expect(read.runs.map((r) => r.name)).toEqual(runs.map((r) => r.name));
    expect(read.runs[0]!.metrics.lossScale.every(Number.isNaN)).toBe(true); // NaN travelled as null
    expect(read.runs[0]!.metrics.loss).toEqual(kept[0]!.metrics.loss);
    expect(read.checkpoints).toEqual([{ runId: read.runs[0]!.id, step: 5, text: '{"format":"transformer-lab/weights","step":5}' }]);
    expect(read.runs[0]!.checkpointStep).toBe(5);
  });

  it('refuse a bad file naming the field', () => {
    const ok = JSON.parse(comparisonFileText({ id: 'c', name: 'g', createdAt: 0 }, [], []));
    expect(messageOf(() => parseComparisonFile('nope', String))).toMatch(/^file: is not JSON/);
    expect(messageOf(() => parseComparisonFile(JSON.stringify({ ...ok, format: 'x' }), String))).toBe('format: must be one of "transformer-lab/comparison" (got "x")');
    const badRun = { id: 'r', name: 'r', config: { ...TINY_CONFIG, train: { ...TINY_CONFIG.train, steps: -1 } }, status: 'done', step: 0, targetSteps: 1, activeMs: 0, createdAt: 0,
      metrics: { step: [], loss: [], lr: [], gradNorm: [], tokensPerSec: [], stepMs: [], lossScale: [], skipped: [], evals: [], memory: { step: [], peak: [], inUse: [], allocated: [], hasBreakdown: false, categories: { parameters: [], gradients: [], optimizerState: [], savedActivations: [], halfCopies: [], other: [] } } } };
    expect(messageOf(() => parseComparisonFile(JSON.stringify({ ...ok, runs: [badRun] }), String))).toBe('runs.0.config.train.steps: must be ≥ 0 (got -1)');
    expect(messageOf(() => parseComparisonFile(JSON.stringify({ ...ok, runs: [{ ...badRun, config: TINY_CONFIG, checkpoint: { step: 1, text: '{}' } }] }), String))).toBe('runs.0.checkpoint.text: is not a weights JSON of the lab');
  });
});
