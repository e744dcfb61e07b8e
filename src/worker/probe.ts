/**
 * One backend's probe: set it up, train one warm-up step of a small version of the config (it
 * compiles the kernels), then time a few steps. Each phase is reported as it ends, so the page
 * can end the worker at its deadline (choose.ts); a probe never switches backends, so ending
 * the worker ends its work on the device too.
 */
import { parseLabRunConfig, type LabRunConfig } from '../engine/runConfig';
import { Trainer } from '../engine/train/trainer';
import type { SeriesSource } from '../tasks/forecast/task';
import { CORPUS_NAMES } from '../tasks/text/corpora';
import type { AdapterReport, BackendName, SeriesFiles, WorkerEvent } from './protocol';
import { pageSeries } from './series';
import { loadTaskCorpus } from './text';

/** Rows of the probe's step: enough to exercise every kernel, few enough to stay quick. */
const PROBE_ROWS = 8;
/** Timed steps: at least two, and as many more as fit in this time. */
const TIMED_MS = 400;
const MAX_TIMED = 5;

export type InitOne = (backend: BackendName) => Promise<{ adapter?: AdapterReport; software?: boolean }>;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A text task timed on a shipped corpus, one token per character: its own text may be a file
 * the probe's worker never got, and learning bpe merges would eat the probe's time. The model
 * is the config's; only the vocabulary (the embedding's rows) may differ from the real run's.
 */
function probeTask(raw: unknown): unknown {
  if (!isRecord(raw) || !isRecord(raw.task) || raw.task.name !== 'text') return raw;
  const { file: _, vocabSize: __, ...task } = raw.task;
  return { ...raw, task: { ...task, corpus: typeof task.corpus === 'string' ? task.corpus : CORPUS_NAMES[0], tokenizer: 'char' } };
}

/** The config with a small batch and no accumulation: one micro-batch per step; a forecast reads the page's files. */
export async function probeConfig(raw: unknown, series: SeriesSource): Promise<LabRunConfig> {
  const config = probeTask(raw);
  await loadTaskCorpus(config);
  const run = parseLabRunConfig(config, series);
  return parseLabRunConfig({ ...run, train: { ...run.train, batchSize: Math.min(run.train.batchSize, PROBE_ROWS), gradAccumSteps: 1 } }, series);
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export async function probeBackend(backend: BackendName, config: unknown, init: InitOne, post: (e: WorkerEvent) => void, files?: SeriesFiles): Promise<void> {
  const base = { type: 'probed', runId: null, backend } as const;
  let trainer: Trainer<LabRunConfig> | undefined;
  try {
    const series = pageSeries(new Map(Object.entries(files ?? {})));
    const run = await probeConfig(config, series);
    const { adapter, software } = await init(backend);
    post({ ...base, phase: 'ready', ...(adapter ? { adapter } : {}), ...(software !== undefined ? { software } : {}) });
    trainer = Trainer.create(run, { series });
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
