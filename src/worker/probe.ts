/**
 * One backend's probe: set it up, train one warm-up step of a small version of the config (it
 * compiles the kernels), then time a few steps. Each phase is reported as it ends, so the page
 * can end the worker at its deadline (choose.ts); a probe never switches backends, so ending
 * the worker ends its work on the device too.
 */
import { parseRunConfig, type RunConfig } from '../engine/runConfig';
import { Trainer } from '../engine/train/trainer';
import type { AdapterReport, BackendName, WorkerEvent } from './protocol';

/** Rows of the probe's step: enough to exercise every kernel, few enough to stay quick. */
const PROBE_ROWS = 8;
/** Timed steps: at least two, and as many more as fit in this time. */
const TIMED_MS = 400;
const MAX_TIMED = 5;

export type InitOne = (backend: BackendName) => Promise<{ adapter?: AdapterReport; software?: boolean }>;

/** The config with a small batch and no accumulation: one micro-batch per step. */
export function probeConfig(raw: unknown): RunConfig {
  const run = parseRunConfig(raw);
  return parseRunConfig({ ...run, train: { ...run.train, batchSize: Math.min(run.train.batchSize, PROBE_ROWS), gradAccumSteps: 1 } });
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export async function probeBackend(backend: BackendName, config: unknown, init: InitOne, post: (e: WorkerEvent) => void): Promise<void> {
  const base = { type: 'probed', runId: null, backend } as const;
  let trainer: Trainer | undefined;
  try {
    const run = probeConfig(config);
    const { adapter, software } = await init(backend);
    post({ ...base, phase: 'ready', ...(adapter ? { adapter } : {}), ...(software !== undefined ? { software } : {}) });
    trainer = Trainer.create(run);
    await trainer.trainStep();
    post({ ...base, phase: 'warm' });
    const times: number[] = [];
    const began = performance.now();
    while (times.length < 2 || (times.length < MAX_TIMED && performance.now() - began < TIMED_MS)) {
      const t0 = performance.now();
      await trainer.trainStep();
      times.push(performance.now() - t0);
    }
    post({ ...base, phase: 'timed', ms: median(times) });
  } catch (e) {
    post({ ...base, phase: 'failed', reason: e instanceof Error ? e.message : String(e) });
  } finally {
    trainer?.dispose();
  }
}
