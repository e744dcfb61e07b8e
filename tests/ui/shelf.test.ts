import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { buildGrid } from '../../src/ui/compare/grid';
import { summaryRow } from '../../src/ui/compare/summary';
import { parseLabRunConfig } from '../../src/engine/runConfig';
import { PRESETS, TINY_CONFIG } from '../../src/ui/config/presets';
import { uiSeries } from '../../src/ui/forecast/files';
import { LabController } from '../../src/ui/lab/controller';
import { runsOf } from '../../src/ui/lab/library';
import { LabStore } from '../../src/ui/lab/store';
import { comparisonFileText, parseComparisonFile } from '../../src/ui/storage/comparisonFile';
import { LabDb } from '../../src/ui/storage/db';
import { addStep, emptyMetrics } from '../../src/worker/metricsData';
import type { Command, WorkerEvent } from '../../src/worker/protocol';
import { RunDb } from '../../src/worker/storage';
import { messageOf } from '../helpers/errors';

let dbCount = 0;
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/**
 * A page with a fake worker over a fresh IndexedDB; `page(p.dbName)` opens a new page on the same
 * database (a reload). The fake worker writes metrics and checkpoints where the real one does.
 */
async function page(dbName = `shelf-${++dbCount}`) {
  const sent: Command[] = [];
  let listener: (e: WorkerEvent) => void = () => {};
  const store = new LabStore('auto', { later: (flush) => queueMicrotask(flush), soon: (flush) => flush() });
  const lab = new LabController({ post: (c) => sent.push(c), listen: (l) => (listener = l) }, store, () => {}, { openDb: () => LabDb.open(dbName) });
  const worker = await RunDb.open(dbName);
  while (store.getState().library.status === 'loading') await tick(5);
  return { lab, store, sent, dbName, worker, emit: (e: WorkerEvent) => { listener(e); store.flush(); } };
}

type Page = Awaited<ReturnType<typeof page>>;

const GRID = { base: TINY_CONFIG, axes: [{ key: 'optimizer' as const, values: 'adam, sgd(lr=0.1)' }, { key: 'precision' as const, values: 'fp32, fp16' }] };

/**
 * Plays a worker that trains steps `from`..`to`-1 of a run: metrics in batches (to the page and
 * to storage), a checkpoint at `checkpointAt` (default: the end), then `finish`.
 */
async function train(p: Page, runId: string, from: number, to: number, finish: 'done' | 'stopped' | 'running', checkpointAt = to) {
  const config = buildGrid(GRID)[0]!.config;
  p.emit({ type: 'started', runId, config, parameterCount: 1, startStep: from, targetSteps: 40, imported: from > 0 });
  await p.worker.truncate(runId, from);
  p.emit({ type: 'state', runId, state: 'running', step: from, targetSteps: 40 });
  for (let s = from; s < to; s += 5) {
    const data = emptyMetrics();
    for (let k = s; k < Math.min(to, s + 5); k++) addStep(data, { step: k, loss: 2 - k / 100, lr: 0.01, gradNorm: 1, tokensPerSec: 10, stepMs: 1 });
    p.emit({ type: 'metrics', runId, data });
    const end = Math.min(to, s + 5);
    const checkpoint = end === checkpointAt ? { step: end, text: `{"format":"transformer-lab/weights","step":${end}}` } : undefined;
    await p.worker.record(runId, { metrics: data, progress: { step: end, activeMs: end }, ...(checkpoint ? { checkpoint } : {}) });
    if (checkpoint) p.emit({ type: 'checkpoint', runId, step: end });
  }
  if (finish !== 'running') p.emit({ type: 'state', runId, state: finish, step: to, targetSteps: 40 });
}

describe('a single run (Start)', () => {
  it('keeps one metrics object: its charts, its row in the runs table and its summary read the same history', async () => {
    const p = await page();
    const runId = p.lab.start(TINY_CONFIG);
    await train(p, runId, 0, 20, 'done');
    expect(runsOf(p.store.getState().library, 'single-runs').map((r) => r.id)).toEqual([runId]); // kept from the moment it starts
    const run = p.store.getState().run!;
    const row = runsOf(p.store.getState().library, 'single-runs')[0]!;
    expect(row.metrics).toBe(run.metrics);
    expect(row.metrics.step).toHaveLength(20);
    expect(summaryRow(row).tokensPerSec).toBe(10); // not "—": the table sees the run's steps
    expect(row.status).toBe('done');
  });

  it('comes back after a reload with its whole curve, and resumes from its checkpoint with the earlier steps kept', async () => {
    const p = await page();
    const runId = p.lab.start(TINY_CONFIG);
    await train(p, runId, 0, 30, 'running', 20); // reached 30, checkpoint at 20: then the page goes away
    await p.lab.shelf.flushed();

    const again = await page(p.dbName);
    const restored = again.store.getState().run!;
    expect(restored).toMatchObject({ id: runId, live: false, step: 30, restored: { status: 'interrupted', checkpointStep: 20 } });
    expect(restored.metrics.step).toHaveLength(30);
    const row = runsOf(again.store.getState().library, 'single-runs')[0]!;
    expect(row).toMatchObject({ status: 'interrupted', step: 30, checkpointStep: 20 });
    expect(row.metrics).toBe(restored.metrics);

    again.lab.shelf.resume(runId);
    expect(again.sent.at(-1)).toEqual({ type: 'resumeKept', runId, config: row.config, resumeTo: 40, activeMs: 30 });
    await train(again, runId, 20, 40, 'done');
    expect(again.store.getState().run!.metrics.step).toEqual([...Array(40).keys()]);
    expect((await (await LabDb.open(p.dbName)).metrics(runId)).step).toEqual([...Array(40).keys()]);
  });
});

describe('a tab of an older version holding the storage', () => {
  it('keeps the library loading with a notice that says which tab to close, keeps a run started meanwhile, and clears the notice once the upgrade goes on', async () => {
    const dbName = `shelf-${++dbCount}`;
    const older = await openDB(dbName, 2, {
      upgrade(db) {
        db.createObjectStore('comparisons', { keyPath: 'id' });
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byComparison', 'comparisonId');
        for (const [store, keyPath] of [['checkpoints', 'runId'], ['metrics', ['runId', 'seq']], ['progress', 'runId']] as const) db.createObjectStore(store, { keyPath: keyPath as string | string[] });
      },
    });
    const store = new LabStore('auto', { later: (flush) => queueMicrotask(flush), soon: (flush) => flush() });
    let listener: (e: WorkerEvent) => void = () => {};
    const lab = new LabController({ post: () => {}, listen: (l) => (listener = l) }, store, () => {}, { openDb: (onBlocked) => LabDb.open(dbName, onBlocked) });
    await tick(20);
    expect(store.getState().library.status).toBe('loading');
    expect(store.getState().notice).toMatch(/another tab of the lab holds this browser’s storage open at an older version\. Close or reload that tab/);
    // A run started meanwhile is kept once the storage opens, not lost.
    const config = parseLabRunConfig(TINY_CONFIG);
    const runId = lab.start(TINY_CONFIG);
    listener({ type: 'started', runId, config, parameterCount: 1, startStep: 0, targetSteps: 40, imported: false });
    store.flush();
    older.close();
    while (store.getState().library.status === 'loading') await tick(5);
    expect(store.getState().library.status).toBe('ready');
    expect(store.getState().notice).toBeUndefined();
    await lab.shelf.flushed();
    const db = await LabDb.open(dbName);
    expect((await db.loadAll()).runs.map((r) => r.id)).toEqual([runId]);
    db.close();
  });
});

describe('which run a reload restores', () => {
  const kept = (id: string, createdAt: number, updatedAt: number) => ({
    id, comparisonId: 'single-runs', name: id, config: parseLabRunConfig(TINY_CONFIG), status: 'done' as const,
    step: 1, targetSteps: 1, activeMs: 1, createdAt, updatedAt,
  });

  it('is the latest touched; a tie goes to the later created, then to the greater id, whatever order storage gives', async () => {
    for (const [runs, want] of [
      [[kept('run-b', 1, 9), kept('run-a', 2, 9), kept('run-c', 3, 8)], 'run-a'],
      [[kept('run-a', 2, 9), kept('run-c', 2, 9), kept('run-b', 2, 9)], 'run-c'],
    ] as const) {
      const dbName = `shelf-${++dbCount}`;
      const db = await LabDb.open(dbName);
      for (const r of runs) await db.saveRun(r);
      db.close();
      const p = await page(dbName);
      expect(p.store.getState().run?.id).toBe(want);
    }
  });
});

describe('what each kind of run adds survives a reload', () => {
  it('a text run’s samples and a forecast’s test split come back with the run', async () => {
    const p = await page();
    const configs = { text: parseLabRunConfig(PRESETS.find((x) => x.id === 'text-char')!.config), forecast: parseLabRunConfig(PRESETS.find((x) => x.id === 'forecast')!.config, uiSeries) };
    const evals = {
      text: [{ step: 10, split: 'val' as const, loss: 2, bitsPerChar: 3, tokenAccuracy: 0.3, sample: { prompt: 'Alice', text: ' was here' } }],
      forecast: [{ step: 10, split: 'val' as const, loss: 0.9, mse: 0.9, mae: 0.7 }, { step: 10, split: 'test' as const, loss: 0.6, mse: 0.6, mae: 0.5 }],
    };
    const ids: Record<string, string> = {};
    for (const kind of ['text', 'forecast'] as const) {
      const runId = (ids[kind] = p.lab.start(configs[kind]));
      p.emit({ type: 'started', runId, config: configs[kind], parameterCount: 1, startStep: 0, targetSteps: 10, imported: false });
      const data = emptyMetrics();
      for (let k = 0; k < 10; k++) addStep(data, { step: k, loss: 2, lr: 0.01, gradNorm: 1, tokensPerSec: 10, stepMs: 1 });
      data.evals.push(...evals[kind]);
      p.emit({ type: 'metrics', runId, data });
      await p.worker.record(runId, { metrics: data, progress: { step: 10, activeMs: 10 }, checkpoint: { step: 10, text: '{"format":"transformer-lab/weights"}' } });
      p.emit({ type: 'state', runId, state: 'done', step: 10, targetSteps: 10 });
    }
    await p.lab.shelf.flushed();
    const again = await page(p.dbName);
    const rows = runsOf(again.store.getState().library, 'single-runs');
    expect(rows.find((r) => r.id === ids.text)!.metrics.evals).toEqual(evals.text);
    expect(rows.find((r) => r.id === ids.forecast)!.metrics.evals).toEqual(evals.forecast);
    expect(summaryRow(rows.find((r) => r.id === ids.forecast)!).mae).toBe(0.7); // the validation line, not the test one
  });
});

describe('kept runs and grids', () => {
  it('runs a grid one run after another, keeps it across a reload, and resumes from the checkpoint', async () => {
    const p = await page();
    const cells = buildGrid(GRID);
    const id = p.lab.shelf.startGrid('optimizer × precision', GRID, cells);
    const runs = runsOf(p.store.getState().library, id);
    expect(runs.map((r) => r.name)).toEqual(['adam · fp32', 'adam · fp16', 'sgd(lr=0.1) · fp32', 'sgd(lr=0.1) · fp16']);
    await tick();
    const starts = () => p.sent.filter((c) => c.type === 'start' || c.type === 'resumeKept').map((c) => c.runId);
    expect(starts()).toEqual([runs[0]!.id]);
    await train(p, runs[0]!.id, 0, 40, 'done');
    await tick();
    expect(starts()).toEqual([runs[0]!.id, runs[1]!.id]);
    await train(p, runs[1]!.id, 0, 10, 'running'); // the page goes away while run 2 trains
    await p.lab.shelf.flushed();

    const again = await page(p.dbName);
    const kept = runsOf(again.store.getState().library, id);
    expect(kept.map((r) => r.status)).toEqual(['done', 'interrupted', 'queued', 'queued']);
    expect(kept[0]!.metrics.length).toBe(40);
    expect(kept[1]!.checkpointStep).toBe(10);
    again.lab.shelf.resume(kept[1]!.id);
    expect(again.sent.at(-1)).toMatchObject({ type: 'resumeKept', runId: kept[1]!.id, resumeTo: 40 });
    await train(again, kept[1]!.id, 10, 40, 'done');
    expect(again.store.getState().run!.metrics.step).toEqual([...Array(40).keys()]);
  });

  it('cancels a queued run and re-runs it from the start', async () => {
    const p = await page();
    const id = p.lab.shelf.startGrid('g', GRID, buildGrid(GRID));
    const runs = runsOf(p.store.getState().library, id);
    p.lab.shelf.cancel(runs[1]!.id);
    await tick();
    await train(p, runs[0]!.id, 0, 40, 'done');
    await tick();
    expect(p.sent.filter((c) => c.type === 'start').map((c) => c.runId)).toEqual([runs[0]!.id, runs[2]!.id]);
    p.lab.shelf.cancel(runs[2]!.id);
    expect(p.sent.at(-1)).toEqual({ type: 'stop', runId: runs[2]!.id });
    p.emit({ type: 'state', runId: runs[2]!.id, state: 'stopped', step: 0, targetSteps: 40 });
    expect(runsOf(p.store.getState().library, id).map((r) => r.status)).toEqual(['done', 'cancelled', 'cancelled', 'queued']);
    await train(p, runs[3]!.id, 0, 40, 'done');
    p.lab.shelf.rerun(runs[0]!.id);
    await tick();
    expect(p.sent.filter((c) => c.type === 'start').at(-1)!.runId).toBe(runs[0]!.id);
    expect(runsOf(p.store.getState().library, id)[0]!.metrics.length).toBe(0);
    await p.lab.shelf.flushed();
    expect(await (await LabDb.open(p.dbName)).checkpoint(runs[0]!.id)).toBeUndefined();
  });
});

describe('comparison files', () => {
  it('round-trip a comparison with its runs, metrics and checkpoints under new ids', async () => {
    const p = await page();
    const id = p.lab.shelf.startGrid('g', GRID, buildGrid(GRID));
    const runs = runsOf(p.store.getState().library, id);
    await tick();
    await train(p, runs[0]!.id, 0, 5, 'stopped');
    const lib = p.store.getState().library;
    const kept = runsOf(lib, id).map((r) => ({ ...r, metrics: r.metrics.toData() }));
    const text = comparisonFileText(lib.comparisons.find((c) => c.id === id)!, kept, await p.lab.shelf.checkpoints([runs[0]!.id]));
    let n = 0;
    const read = parseComparisonFile(text, (prefix) => `${prefix}-new-${++n}`);
    expect(read.comparison).toMatchObject({ id: 'cmp-new-1', name: 'g', grid: GRID });
    expect(read.runs.map((r) => r.name)).toEqual(runs.map((r) => r.name));
    const first = read.metrics.get(read.runs[0]!.id)!;
    expect(first.lossScale.every(Number.isNaN)).toBe(true); // NaN travelled as null
    expect(first.loss).toEqual(kept[0]!.metrics.loss);
    expect(read.checkpoints).toEqual([{ runId: read.runs[0]!.id, step: 5, text: '{"format":"transformer-lab/weights","step":5}' }]);
    expect(read.runs[0]!.checkpointStep).toBe(5);

    // Imported, it is kept like any other: after a reload its runs come back with their curves.
    p.lab.shelf.addComparison(read.comparison, read.runs, read.metrics, read.checkpoints);
    await p.lab.shelf.flushed();
    const again = await page(p.dbName);
    expect(runsOf(again.store.getState().library, 'cmp-new-1')[0]!.metrics.loss).toEqual(kept[0]!.metrics.loss);
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

describe('the WebGPU pool between runs', () => {
  it('is released after each run of a grid, before the next starts; a single run leaves it as it is', async () => {
    const p = await page();
    const single = p.lab.start(TINY_CONFIG);
    await train(p, single, 0, 10, 'done');
    expect(p.sent.filter((c) => c.type === 'releaseCachedMemory')).toEqual([]);
    const id = p.lab.shelf.startGrid('g', GRID, buildGrid(GRID));
    const runs = runsOf(p.store.getState().library, id);
    await tick();
    await train(p, runs[0]!.id, 0, 40, 'done');
    await tick();
    const types = p.sent.map((c) => c.type);
    const released = types.lastIndexOf('releaseCachedMemory');
    expect(released).toBeGreaterThan(types.indexOf('start', types.indexOf('start') + 1)); // after the grid's first start
    expect(p.sent[released + 1]).toMatchObject({ type: 'start', runId: runs[1]!.id });
  });
});
