import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/engine/runConfig';
import type { StepMetrics } from '../../src/engine/train/events';
import { TINY_CONFIG } from '../../src/ui/config/presets';
import { metricsCsv } from '../../src/ui/lab/metrics';
import { downsample, MAX_POINTS, smooth } from '../../src/ui/lab/series';
import { LabStore } from '../../src/ui/lab/store';
import { addMemory, addStep, emptyMetrics } from '../../src/worker/metricsData';
import type { MemoryBreakdown, WorkerEvent } from '../../src/worker/protocol';

/** A store whose metric flushes run only when the test says so (control events flush at once). */
function manualStore() {
  const queued: (() => void)[] = [];
  const store = new LabStore('auto', { later: (flush) => queued.push(flush), soon: (flush) => flush() });
  let renders = 0;
  store.subscribe(() => renders++);
  return { store, runQueued: () => queued.splice(0).forEach((f) => f()), renders: () => renders, queued };
}

const config = parseRunConfig(TINY_CONFIG);
const started = (runId: string): WorkerEvent => ({ type: 'started', runId, config, parameterCount: 10, startStep: 0, targetSteps: 10_000, imported: false });
/** A worker batch of steps `from`..`to`-1. */
const steps = (runId: string, from: number, to: number, extra: Partial<StepMetrics> = {}): WorkerEvent => {
  const data = emptyMetrics();
  for (let s = from; s < to; s++) addStep(data, { step: s, loss: 2 / (1 + s / 100), lr: 0.01, gradNorm: 1, tokensPerSec: 1000, stepMs: 5, ...extra });
  return { type: 'metrics', runId, data };
};
const step = (runId: string, s: number, extra: Partial<StepMetrics> = {}) => steps(runId, s, s + 1, extra);
const progress = (runId: string, s: number): WorkerEvent => ({ type: 'progress', runId, step: s, targetSteps: 10_000, phase: 'training', activeMs: s * 5 });

describe('lab store', () => {
  it('batches metric events: one render per flush, however many batches arrived', () => {
    const { store, runQueued, renders, queued } = manualStore();
    store.receive(started('a'));
    const before = renders();
    for (let s = 0; s < 10_000; s += 100) {
      store.receive(steps('a', s, s + 100));
      store.receive(progress('a', s + 100));
    }
    expect(renders()).toBe(before); // nothing applied yet
    expect(queued).toHaveLength(1); // one flush scheduled for the whole burst
    expect(store.getState().run!.metrics.length).toBe(0);
    runQueued();
    expect(renders()).toBe(before + 1);
    const run = store.getState().run!;
    expect(run.metrics.length).toBe(10_000);
    expect(run.step).toBe(10_000);
  });

  it('applies nothing inside the message handler: control events flush in a task of their own', async () => {
    const store = new LabStore('auto');
    store.receive(started('a'));
    expect(store.getState().run).toBeUndefined();
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().run?.id).toBe('a');
  });

  it('keeps one metrics object per run: the run view, a later batch of a run no longer shown, and a restart share it', () => {
    const { store, runQueued } = manualStore();
    store.receive(started('a'));
    const a = store.metrics.of('a');
    expect(store.getState().run!.metrics).toBe(a);
    store.receive(steps('a', 0, 5));
    store.receive(started('b'));
    store.receive(steps('a', 5, 7)); // a late batch of a stopped run lands in its own history
    runQueued();
    expect(a.step).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(store.getState().run!.metrics).toBe(store.metrics.of('b'));
    expect(store.getState().run!.metrics.length).toBe(0);
    store.receive({ ...started('a'), startStep: 3 } as WorkerEvent); // resumed from a checkpoint at 3
    expect(store.getState().run!.metrics).toBe(a);
    expect(a.step).toEqual([0, 1, 2]);
  });

  it('applies control events at once, in order with the metrics queued before them', () => {
    const { store, queued } = manualStore();
    store.receive(started('a'));
    store.receive(step('a', 0));
    store.receive({ type: 'state', runId: 'a', state: 'paused', step: 1, targetSteps: 10 });
    const run = store.getState().run!;
    expect(run.state).toBe('paused');
    expect(run.metrics.length).toBe(1); // the step before the state change came with it
    expect(queued).toHaveLength(1); // the scheduled flush finds nothing left
  });

  it('drops control events of a run the page no longer shows', () => {
    const { store, runQueued } = manualStore();
    store.receive(started('old'));
    store.receive(started('new'));
    store.receive(step('old', 0));
    store.receive(progress('old', 1));
    store.receive({ type: 'state', runId: 'old', state: 'stopped', step: 1, targetSteps: 10 });
    runQueued();
    const run = store.getState().run!;
    expect(run.id).toBe('new');
    expect(run.state).toBe('starting');
    expect(run.metrics.length).toBe(0);
  });

  it('keeps a fatal error and the step of the last good weights', () => {
    const { store } = manualStore();
    store.receive(started('a'));
    store.receive({ type: 'error', runId: 'a', kind: 'diverged', message: 'training diverged at step 7', suggestion: 'Lower the learning rate', fatal: true, lastGoodStep: 5 });
    const s = store.getState();
    expect(s.error).toMatchObject({ kind: 'diverged', lastGoodStep: 5 });
    expect(s.run).toMatchObject({ live: false, lastGoodStep: 5 });
  });

  it('keeps the newest prediction for the draft and routes a run prediction to its run', () => {
    const { store } = manualStore();
    const bytes = (n: number) => ({ parameterCount: n, bytes: { parameters: n }, partial: true });
    store.predictionFor.set(1, 'draft');
    store.predictionFor.set(2, 'draft');
    store.predictionFor.set(3, 'a');
    store.receive(started('a'));
    store.receive({ type: 'prediction', runId: null, requestId: 2, prediction: bytes(2) });
    store.receive({ type: 'prediction', runId: null, requestId: 1, prediction: bytes(1) });
    store.receive({ type: 'prediction', runId: null, requestId: 3, prediction: bytes(3) });
    expect(store.getState().prediction?.value?.parameterCount).toBe(2);
    expect(store.getState().run?.predicted?.parameterCount).toBe(3);
  });

  it('records loss scaling, skipped steps, memory and evaluations for the charts and the CSV', () => {
    const { store, runQueued } = manualStore();
    store.receive(started('a'));
    store.receive(step('a', 0, { lossScale: 65536, skipped: true }));
    const data = emptyMetrics();
    addStep(data, { step: 1, loss: 2 / (1 + 1 / 100), lr: 0.01, gradNorm: 1, tokensPerSec: 1000, stepMs: 5, lossScale: 32768, skipped: false, liveTensors: 12, liveBytes: 4096 });
    const memory: MemoryBreakdown = { parameters: 40, gradients: 40, optimizerState: 80, savedActivations: 100, halfCopies: 0, other: 10, peak: 270, backendInUse: 200, backendAllocated: 300, host: 64 };
    addMemory(data, 1, memory);
    data.evals.push({ step: 2, split: 'val', loss: 1.5, exactMatch: 0.25, tokenAccuracy: 0.5 });
    store.receive({ type: 'metrics', runId: 'a', data });
    runQueued();
    const m = store.getState().run!.metrics;
    expect(m.skipped).toEqual([0]);
    expect(m.hasLossScale).toBe(true);
    expect(m.memory.hasBreakdown).toBe(true);
    const csv = metricsCsv(m).trim().split('\n');
    expect(csv[0]).toBe('split,step,loss,lr,gradNorm,tokensPerSec,stepMs,lossScale,skipped,liveTensors,liveBytes,exactMatch,tokenAccuracy,bitsPerChar,mse,mae,repeatLastMse,linearMse,repeatLastMae,linearMae,mem_parameters,mem_gradients,mem_optimizerState,mem_savedActivations,mem_halfCopies,mem_other,mem_peak,mem_backendInUse,mem_backendAllocated,mem_host');
    expect(csv[1]).toBe('train,0,2,0.01,1,1000,5,65536,1,,,,,,,,,,,,,,,,,,,,,');
    expect(csv[2]).toBe('train,1,1.9801980198019802,0.01,1,1000,5,32768,0,12,4096,,,,,,,,,,40,40,80,100,0,10,270,200,300,64');
    expect(csv[3]).toBe('val,2,1.5,,,,,,,,,0.25,0.5,,,,,,,,,,,,,,,,,');
  });
});

describe('chart series', () => {
  it('downsamples a 10,000-step run to at most MAX_POINTS points, keeping the ends', () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => i);
    const values = steps.map((s) => 1 / (1 + s));
    const points = downsample(steps, { v: { values, reduce: 'mean' }, last: { values, reduce: 'last' }, max: { values, reduce: 'max' } });
    expect(points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(points.at(-1)!.step).toBe(9_999);
    expect(points[0]!.max).toBe(1);
    expect(points.at(-1)!.last).toBe(1 / 10_000);
    for (let i = 1; i < points.length; i++) expect(points[i]!.v).toBeLessThan(points[i - 1]!.v!);
  });

  it('smooths with a debiased moving average that starts at the first value and skips NaN', () => {
    expect(smooth([4, 4, 4], 0.9)).toEqual([4, 4, 4].map((v) => expect.closeTo(v, 12)));
    expect(smooth([1, 3], 0)).toEqual([1, 3]);
    const s = smooth([1, Number.NaN, 1], 0.5);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeNaN();
    expect(s[2]).toBeCloseTo(1, 12);
  });

  it('leaves gaps where a value is missing', () => {
    const points = downsample([0, 1], { scale: { values: [Number.NaN, 8], reduce: 'last' } }, 10);
    expect(points).toEqual([{ step: 0 }, { step: 1, scale: 8 }]);
  });
});
