import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { TINY_CONFIG } from '../../../src/ui/config/presets';
import { RunMetrics } from '../../../src/ui/lab/metrics';
import { LabDb } from '../../../src/ui/storage/db';
import type { Comparison, KeptRun } from '../../../src/ui/storage/records';
import { DB_VERSION, RunDb } from '../../../src/worker/storage';

let page: LabDb;
let worker: RunDb;
let n = 0;
let name = '';

const comparison: Comparison = { id: 'c1', name: 'optimizer × precision', createdAt: 1 };

function metrics(from: number, to: number, withEval = true) {
  const m = new RunMetrics();
  for (let s = from; s < to; s++) m.addStep({ step: s, loss: 2 - s / 10, lr: 0.01, gradNorm: 1, tokensPerSec: 100, stepMs: 5, lossScale: 65536 });
  if (withEval) m.addEval({ step: to, split: 'val', loss: 1.5, exactMatch: 0.25, tokenAccuracy: 0.5 });
  return m.toData();
}

const record = (id: string): KeptRun => ({ id, comparisonId: 'c1', name: id, config: parseRunConfig(TINY_CONFIG), status: 'running', step: 0, targetSteps: 40, activeMs: 0, createdAt: 2 });

beforeEach(async () => {
  name = `lab-test-${++n}`;
  page = await LabDb.open(name);
  worker = await RunDb.open(name);
  await page.saveAll(comparison, [record('r1'), record('r2')]);
  await worker.record('r1', { metrics: metrics(0, 4), progress: { step: 4, activeMs: 40 }, checkpoint: { step: 4, text: '{"step":4}' } });
  await worker.record('r2', { metrics: metrics(0, 2), progress: { step: 2, activeMs: 20 }, checkpoint: { step: 2, text: '{"step":2}' } });
});
afterEach(() => {
  page.close();
  worker.close();
});

describe('run storage', () => {
  it("keeps the page's records with the worker's progress, metrics and checkpoints", async () => {
    await worker.record('r1', { metrics: metrics(4, 6, false), progress: { step: 6, activeMs: 60 } });
    const { comparisons, runs } = await page.loadAll();
    expect(comparisons).toEqual([comparison]);
    const r1 = runs.find((r) => r.id === 'r1')!;
    expect(r1).toMatchObject({ step: 6, activeMs: 60, checkpointStep: 4 }); // the worker got further than the page heard
    const m = await page.metrics('r1');
    expect(m.loss).toEqual([2, 1.9, 1.8, 1.7, 1.6, 1.5]);
    expect(m.evals.map((e) => e.step)).toEqual([4]);
    expect(await page.checkpoint('r1')).toEqual({ runId: 'r1', step: 4, text: '{"step":4}' });
  });

  it('a write interrupted halfway leaves the previous metrics, progress and checkpoint readable', async () => {
    // The metrics and progress go in first; the checkpoint then fails to store (a DataCloneError,
    // as a full disk would fail it), which must take the rest of the write down with it.
    const unstorable = { step: 8, text: (() => 'not cloneable') as unknown as string };
    await expect(worker.record('r1', { metrics: metrics(4, 8), progress: { step: 8, activeMs: 80 }, checkpoint: unstorable })).rejects.toThrow();
    const r1 = (await page.loadAll()).runs.find((r) => r.id === 'r1')!;
    expect(r1).toMatchObject({ step: 4, checkpointStep: 4 });
    expect((await page.metrics('r1')).step).toHaveLength(4);
    expect(await page.checkpoint('r1')).toMatchObject({ step: 4 });
    // The database still works after the aborted write, and the chunks stay in order.
    await worker.record('r1', { metrics: metrics(4, 8), progress: { step: 8, activeMs: 80 }, checkpoint: { step: 8, text: '{"step":8}' } });
    expect((await page.metrics('r1')).step).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await page.checkpoint('r1'))?.step).toBe(8);
  });

  it('truncates a run at the step it resumes from, keeping the history before it', async () => {
    await worker.record('r1', { metrics: metrics(4, 9, false), progress: { step: 9, activeMs: 90 } });
    await worker.truncate('r1', 4);
    const m = await page.metrics('r1');
    expect(m.step).toEqual([0, 1, 2, 3]);
    expect(m.evals).toEqual([]); // the evaluation at 4 is redone
    expect((await page.loadAll()).runs.find((r) => r.id === 'r1')!.step).toBe(4);
    await worker.record('r1', { metrics: metrics(4, 6, false), progress: { step: 6, activeMs: 100 } });
    expect((await page.metrics('r1')).step).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('deletes a run with everything kept of it, and a comparison with all of its runs', async () => {
    await page.deleteRun('r2');
    expect((await page.loadAll()).runs.map((r) => r.id)).toEqual(['r1']);
    expect(await page.checkpoint('r2')).toBeUndefined();
    expect((await page.metrics('r2')).step).toEqual([]);
    await page.deleteComparison('c1');
    expect(await page.loadAll()).toEqual({ comparisons: [], runs: [] });
    expect(await page.checkpoint('r1')).toBeUndefined();
    expect((await page.metrics('r1')).step).toEqual([]);
  });

  it('moves version 1 databases (metrics inside the run records) to the worker’s stores', async () => {
    const old = `lab-v1-${n}`;
    const v1 = await openDB(old, 1, {
      upgrade(db) {
        db.createObjectStore('comparisons', { keyPath: 'id' });
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byComparison', 'comparisonId');
        db.createObjectStore('checkpoints', { keyPath: 'runId' });
      },
    });
    await v1.put('comparisons', comparison);
    await v1.put('runs', { ...record('old'), status: 'done', step: 4, activeMs: 40, checkpointStep: 4, metrics: metrics(0, 4) });
    await v1.put('checkpoints', { runId: 'old', step: 4, text: '{"step":4}' });
    v1.close();
    const upgraded = await LabDb.open(old);
    const { runs } = await upgraded.loadAll();
    expect(runs).toEqual([expect.objectContaining({ id: 'old', status: 'done', step: 4, checkpointStep: 4 })]);
    expect('metrics' in runs[0]!).toBe(false);
    expect((await upgraded.metrics('old')).loss).toEqual([2, 1.9, 1.8, 1.7]);
    expect(await upgraded.checkpoint('old')).toMatchObject({ step: 4 });
    upgraded.close();
  });

  it('upgrades version 2 databases: every run, metric and checkpoint stays, and dropped files get a store', async () => {
    const old = `lab-v2-${n}`;
    const v2 = await openDB(old, 2, {
      upgrade(db) {
        db.createObjectStore('comparisons', { keyPath: 'id' });
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byComparison', 'comparisonId');
        db.createObjectStore('checkpoints', { keyPath: 'runId' });
        db.createObjectStore('metrics', { keyPath: ['runId', 'seq'] });
        db.createObjectStore('progress', { keyPath: 'runId' });
      },
    });
    await v2.put('comparisons', comparison);
    await v2.put('runs', { ...record('kept'), status: 'done', step: 4, activeMs: 40 });
    await v2.put('metrics', { runId: 'kept', seq: 0, data: metrics(0, 4) });
    await v2.put('progress', { runId: 'kept', step: 4, activeMs: 40, checkpointStep: 4, updatedAt: 3 });
    await v2.put('checkpoints', { runId: 'kept', step: 4, text: '{"step":4}' });
    v2.close();
    const upgraded = await LabDb.open(old);
    expect(await upgraded.loadAll()).toEqual({ comparisons: [comparison], runs: [{ ...record('kept'), status: 'done', step: 4, activeMs: 40, checkpointStep: 4, updatedAt: 3 }] });
    expect((await upgraded.metrics('kept')).loss).toEqual([2, 1.9, 1.8, 1.7]);
    expect(await upgraded.checkpoint('kept')).toEqual({ runId: 'kept', step: 4, text: '{"step":4}' });
    expect(await upgraded.files()).toEqual([]);
    await upgraded.saveFile({ kind: 'csv', name: 'load.csv', content: 'a\n1', savedAt: 5 });
    expect(await upgraded.files()).toEqual([{ kind: 'csv', name: 'load.csv', content: 'a\n1', savedAt: 5 }]);
    upgraded.close();
  });
});

describe('tabs of two versions', () => {
  it('an upgrade waits for an older tab, says so, and goes on once that tab lets go', async () => {
    const shared = `lab-tabs-${n}`;
    const older = await openDB(shared, 2, { upgrade(db) { db.createObjectStore('runs', { keyPath: 'id' }); } });
    let blocked = 0;
    const opening = LabDb.open(shared, () => blocked++);
    await new Promise((r) => setTimeout(r, 20));
    expect(blocked).toBe(1);
    older.close();
    const upgraded = await opening;
    expect(await upgraded.files()).toEqual([]);
    upgraded.close();
  });

  it('this version lets go when a newer one asks, instead of holding it up', async () => {
    const shared = `lab-newer-${n}`;
    const ours = await LabDb.open(shared);
    let blocked = false;
    const newer = await openDB(shared, DB_VERSION + 1, { blocked: () => void (blocked = true) });
    expect(blocked).toBe(false);
    expect(newer.version).toBe(DB_VERSION + 1);
    newer.close();
    // Ours has closed: a later read fails, and the page reports failed storage calls.
    await expect(ours.files()).rejects.toThrow();
  });
});

describe('dropped files', () => {
  it('keep a text as its bytes and a CSV as its text, apart by kind even under one name; a save replaces, a delete removes', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]).buffer;
    await page.saveFile({ kind: 'text', name: 'data', content: bytes, savedAt: 1 });
    await page.saveFile({ kind: 'csv', name: 'data', content: 'a\n1', savedAt: 2 });
    await page.saveFile({ kind: 'csv', name: 'data', content: 'a\n2', savedAt: 3 });
    const files = await page.files();
    expect(files.map((f) => [f.kind, f.name, f.savedAt])).toEqual([['csv', 'data', 3], ['text', 'data', 1]]);
    expect(files.find((f) => f.kind === 'csv')!.content).toBe('a\n2');
    expect([...new Uint8Array(files.find((f) => f.kind === 'text')!.content as ArrayBuffer)]).toEqual([0xef, 0xbb, 0xbf, 0x68, 0x69]);
    await page.deleteFiles([{ kind: 'csv', name: 'data' }]);
    expect((await page.files()).map((f) => f.kind)).toEqual(['text']);
  });
});

describe('metrics for storage', () => {
  it('round-trip, and truncate at a resume step', () => {
    const m = RunMetrics.fromData(metrics(0, 6));
    m.addMemory(5, { backendInUse: 100, parameters: 10, peak: 50 });
    m.addStep({ step: 6, loss: 1, lr: 0.01, gradNorm: 1, tokensPerSec: 1, stepMs: 1, lossScale: 32768, skipped: true }, true);
    const copy = RunMetrics.fromData(structuredClone(m.toData()));
    expect(copy.toData()).toEqual(m.toData());
    expect(copy.warmup).toEqual([6]);
    copy.truncate(5);
    expect(copy.step).toEqual([0, 1, 2, 3, 4]);
    expect(copy.lossScale).toHaveLength(5);
    expect(copy.skipped).toEqual([]);
    expect(copy.warmup).toEqual([]);
    expect(copy.evals).toEqual([]);
    expect(copy.memory.step).toEqual([]);
    expect(copy.memory.categories.parameters).toEqual([]);
  });
});
