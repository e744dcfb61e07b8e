/**
 * A run's metrics on their way out of the worker: to the page in small batches (a few a second,
 * however fast the steps are), and, for a kept run, to IndexedDB about once a second and with
 * every checkpoint. The page's main thread handles a handful of small messages a second and
 * never a checkpoint.
 */
import type { EvalMetrics, StepMetrics } from '../engine/train/events';
import { addMemory, addStep, emptyMetrics, isEmptyMetrics, type MetricsData } from './metricsData';
import type { MemoryBreakdown, WorkerEvent } from './protocol';
import type { Checkpoint, RunWrite } from './storage';

/** Where kept runs go (storage.ts's RunDb in the browser; a fake or fake-indexeddb in tests). */
export interface RunStore {
  truncate(runId: string, from: number): Promise<void>;
  record(runId: string, write: RunWrite): Promise<void>;
  checkpoint(runId: string): Promise<Checkpoint | undefined>;
}

/** How often the page gets a batch, and storage a write, while a run trains. */
const POST_EVERY_MS = 250;
const WRITE_EVERY_MS = 1000;

export interface RecorderHost {
  post(e: WorkerEvent): void;
  /** Where the run stands now, for the page's progress and the stored record. */
  progress(): { step: number; targetSteps: number; activeMs: number; phase: 'training' | 'evaluating' | 'exporting' };
  /** A storage write failed: the run goes on, the page is told. */
  warn(message: string): void;
}

export class Recorder {
  private toPage = emptyMetrics();
  private toStore = emptyMetrics();
  private lastPost = -Infinity;
  private lastWrite = performance.now();
  private writes: Promise<void> = Promise.resolve();
  private firstStep = true;

  /** `store` is set for kept runs when the worker has a database. */
  constructor(private readonly runId: string, private readonly host: RecorderHost, private readonly store?: RunStore) {}

  /** A (re)start at `from`: what storage holds from there on is redone by this session. */
  begin(from: number): void {
    if (this.store) this.chain(() => this.store!.truncate(this.runId, from));
  }

  step(m: StepMetrics): void {
    for (const d of this.targets()) addStep(d, m, this.firstStep);
    this.firstStep = false;
  }

  eval(m: EvalMetrics): void {
    for (const d of this.targets()) d.evals.push(m);
  }

  memory(step: number, b: MemoryBreakdown): void {
    for (const d of this.targets()) addMemory(d, step, b);
  }

  /** After a step: a batch to the page and a write to storage when they are due. */
  tick(now = performance.now()): void {
    if (now - this.lastPost >= POST_EVERY_MS) this.flush(now);
    if (this.store && now - this.lastWrite >= WRITE_EVERY_MS) void this.save();
  }

  /** Sends what is pending to the page now, with the progress (before a state change, a phase change). */
  flush(now = performance.now()): void {
    this.lastPost = now;
    if (!isEmptyMetrics(this.toPage)) {
      const data = this.toPage;
      this.toPage = emptyMetrics();
      this.host.post({ type: 'metrics', runId: this.runId, data });
    }
    this.host.post({ type: 'progress', runId: this.runId, ...this.host.progress() });
  }

  /** Writes the pending metrics and the progress, with a checkpoint when given; resolves once it landed. */
  save(checkpoint?: { step: number; text: string }): Promise<void> {
    if (!this.store) return Promise.resolve();
    this.lastWrite = performance.now();
    const metrics = this.toStore;
    this.toStore = emptyMetrics();
    const { step, activeMs } = this.host.progress();
    const write: RunWrite = { metrics, progress: { step, activeMs }, ...(checkpoint ? { checkpoint } : {}) };
    return this.chain(() => this.store!.record(this.runId, write));
  }

  private targets(): MetricsData[] {
    return this.store ? [this.toPage, this.toStore] : [this.toPage];
  }

  /** Writes run one after another; a failed one is reported and the next goes on. */
  private chain(write: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(write).catch((e: unknown) => {
      this.host.warn(`Could not save this run to the browser's storage: ${e instanceof Error ? e.message : String(e)}`);
    });
    return this.writes;
  }
}
