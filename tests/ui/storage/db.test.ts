import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunMetrics } from '../../../src/ui/lab/metrics';
import { TINY_CONFIG } from '../../../src/ui/config/presets';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { LabDb } from '../../../src/ui/storage/db';
import type { Checkpoint, Comparison, KeptRun } from '../../../src/ui/storage/records';

let db: LabDb;
let name = 0;

const comparison: Comparison = { id: 'c1', name: 'optimizer × precision', createdAt: 1 };

function kept(id: string, step: number): KeptRun {
  const metrics = new RunMetrics();
  for (let s = 0; s < step; s++) metrics.addStep({ step: s, loss: 2 - s / 10, lr: 0.01, gradNorm: 1, tokensPerSec: 100, stepMs: 5, lossScale: 65536 });
  metrics.addEval({ step, split: 'val', loss: 1.5, exactMatch: 0.25, tokenAccuracy: 0.5 });
  return {
    id, comparisonId: 'c1', name: id, config: parseRunConfig(TINY_CONFIG), status: 'running', step, targetSteps: 40,
    activeMs: 10 * step, createdAt: 2, checkpointStep: step, metrics: metrics.toData(),
  };
}

const checkpoint = (runId: string, step: number): Checkpoint => ({ runId, step, text: `{"step":${step}}` });

beforeEach(async () => {
  db = await LabDb.open(`lab-test-${++name}`);
  await db.saveAll(comparison, [kept('r1', 4), kept('r2', 2)], [checkpoint('r1', 4), checkpoint('r2', 2)]);
});
afterEach(() => db.close());

describe('run storage', () => {
  it('keeps comparisons, runs with their metrics, and checkpoints', async () => {
    const { comparisons, runs } = await db.loadAll();
    expect(comparisons).toEqual([comparison]);
    expect(runs.map((r) => r.id).sort()).toEqual(['r1', 'r2']);
    const r1 = runs.find((r) => r.id === 'r1')!;
    const metrics = RunMetrics.fromData(r1.metrics);
    expect(metrics.loss).toEqual([2, 1.9, 1.8, 1.7]);
    expect(metrics.evals[0]!.exactMatch).toBe(0.25);
    expect(await db.checkpoint('r1')).toEqual(checkpoint('r1', 4));
  });

  it('a write interrupted halfway leaves the previous run and checkpoint readable', async () => {
    const next = kept('r1', 8);
    // The run record goes in first; the checkpoint then fails to store (a DataCloneError, as a
    // full disk would fail it), which must take the run record down with it.
    const unstorable = { ...checkpoint('r1', 8), text: (() => 'not cloneable') as unknown as string };
    await expect(db.saveRun(next, unstorable)).rejects.toThrow();
    const { runs } = await db.loadAll();
    const r1 = runs.find((r) => r.id === 'r1')!;
    expect(r1.step).toBe(4);
    expect(r1.metrics.step).toHaveLength(4);
    expect(await db.checkpoint('r1')).toEqual(checkpoint('r1', 4));
    // The database still works after the aborted write.
    await db.saveRun(next, checkpoint('r1', 8));
    expect((await db.checkpoint('r1'))?.step).toBe(8);
  });

  it('deletes a run with its checkpoint, and a comparison with all of its runs', async () => {
    await db.deleteRun('r2');
    expect((await db.loadAll()).runs.map((r) => r.id)).toEqual(['r1']);
    expect(await db.checkpoint('r2')).toBeUndefined();
    await db.deleteComparison('c1');
    expect(await db.loadAll()).toEqual({ comparisons: [], runs: [] });
    expect(await db.checkpoint('r1')).toBeUndefined();
  });
});

describe('metrics for storage', () => {
  it('round-trip, and truncate at a resume step', () => {
    const m = RunMetrics.fromData(kept('r', 6).metrics);
    m.addMemory(5, { backendInUse: 100, parameters: 10, peak: 50 });
    m.addStep({ step: 6, loss: 1, lr: 0.01, gradNorm: 1, tokensPerSec: 1, stepMs: 1, lossScale: 32768, skipped: true });
    const copy = RunMetrics.fromData(structuredClone(m.toData()));
    expect(copy.toData()).toEqual(m.toData());
    copy.truncate(5);
    expect(copy.step).toEqual([0, 1, 2, 3, 4]);
    expect(copy.lossScale).toHaveLength(5);
    expect(copy.skipped).toEqual([]);
    expect(copy.evals).toEqual([]);
    expect(copy.memory.step).toEqual([]);
    expect(copy.memory.categories.parameters).toEqual([]);
  });
});
