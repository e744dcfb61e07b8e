/**
 * The lab's IndexedDB as the training worker writes it. IndexedDB works in workers, so a run's
 * metrics and checkpoints go from the worker straight to disk: the page's main thread never
 * carries weights and never waits on a write. The page writes its own records (comparisons and
 * what it knows about each run: name, config, status) to the same database (src/ui/storage/db.ts).
 *
 * Stores, by writer:
 * - `metrics` (worker): a run's metric history in chunks keyed [runId, seq]; appended about once
 *   a second while it trains, compacted when it resumes.
 * - `progress` (worker): how far a run got (step, training time, checkpoint step).
 * - `checkpoints` (worker): the run's last checkpoint, weights JSON with optimizer and scaler state.
 * - `comparisons`, `runs`, `files` (page); `files` holds the texts and CSVs dropped on the page.
 * A checkpoint, the metrics up to it and the progress land in one transaction, so an interrupted
 * write leaves the previous state readable.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { appendMetrics, copyMetrics, emptyMetrics, isEmptyMetrics, truncateMetrics, type MetricsData } from './metricsData';

export const DB_NAME = 'transformer-lab';
/** 1: metrics inside the run records (written by the page). 2: the worker's stores. 3: dropped files. */
export const DB_VERSION = 3;

export interface Checkpoint {
  runId: string;
  step: number;
  /** Weights JSON as the lab exports it (optimizer and scaler state, run config, step). */
  text: string;
}

export interface MetricsChunk {
  runId: string;
  seq: number;
  data: MetricsData;
}

export interface Progress {
  runId: string;
  /** Optimizer steps done. */
  step: number;
  /** Training time, pauses excluded, this session and the ones before. */
  activeMs: number;
  /** The step of the stored checkpoint, when there is one. */
  checkpointStep?: number;
  updatedAt: number;
}

/** The worker's stores (the page's are typed in src/ui/storage/db.ts). */
export interface WorkerStores extends DBSchema {
  checkpoints: { key: string; value: Checkpoint };
  metrics: { key: [string, number]; value: MetricsChunk };
  progress: { key: string; value: Progress };
}

/** Every key of one run in the metrics store. */
export const chunksOf = (runId: string) => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

/** A v1 run record: metrics and progress inside it. */
interface V1Run {
  id: string;
  step?: number;
  activeMs?: number;
  checkpointStep?: number;
  metrics?: MetricsData;
}

/** Creates the stores, and moves version 1's metrics out of the run records. */
export async function upgradeLabDb(db: IDBPDatabase<unknown>, oldVersion: number, tx: IDBPTransaction<unknown, string[], 'versionchange'>): Promise<void> {
  if (oldVersion < 1) {
    db.createObjectStore('comparisons', { keyPath: 'id' });
    db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byComparison', 'comparisonId');
    db.createObjectStore('checkpoints', { keyPath: 'runId' });
  }
  if (oldVersion < 2) {
    db.createObjectStore('metrics', { keyPath: ['runId', 'seq'] });
    db.createObjectStore('progress', { keyPath: 'runId' });
  }
  // A text and a CSV may have the same name: each kind names its files apart (task.file, task.csv).
  if (oldVersion < 3) db.createObjectStore('files', { keyPath: ['kind', 'name'] });
  if (oldVersion === 1) await moveV1Metrics(tx);
}

async function moveV1Metrics(tx: IDBPTransaction<unknown, string[], 'versionchange'>): Promise<void> {
  let cursor = await tx.objectStore('runs').openCursor();
  while (cursor) {
    const { metrics, ...run } = cursor.value as V1Run;
    if (metrics) await tx.objectStore('metrics').put({ runId: run.id, seq: 0, data: metrics });
    await tx.objectStore('progress').put({ runId: run.id, step: run.step ?? 0, activeMs: run.activeMs ?? 0, ...(run.checkpointStep !== undefined ? { checkpointStep: run.checkpointStep } : {}), updatedAt: Date.now() });
    await cursor.update(run);
    cursor = await cursor.continue();
  }
}

/** Opens the lab's database (creating or upgrading it), typed as the caller needs it. */
/**
 * Opens the lab's database, upgrading it where it is older. A tab of an older version holding it
 * open holds the upgrade up until that tab lets go: `onBlocked` says so meanwhile. This version
 * lets go itself when a newer one asks: its later reads and writes fail, and are reported as
 * every failed storage call is, rather than keep the newer page waiting.
 */
export function openLabDb<S extends DBSchema>(name = DB_NAME, onBlocked?: () => void): Promise<IDBPDatabase<S>> {
  return openDB<S>(name, DB_VERSION, {
    upgrade: (db, oldVersion, _newVersion, tx) => upgradeLabDb(db as unknown as IDBPDatabase<unknown>, oldVersion, tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>),
    blocked: () => onBlocked?.(),
    blocking: (_current, _blocked, event) => (event.target as IDBDatabase).close(),
  });
}

/** What one write of a training run holds; everything in it lands together or not at all. */
export interface RunWrite {
  metrics?: MetricsData;
  progress: Omit<Progress, 'runId' | 'updatedAt'>;
  checkpoint?: { step: number; text: string };
}

/** The worker's side: append a run's metrics and progress, keep its checkpoint, read it back. */
export class RunDb {
  /** The next chunk number of each run this worker writes. */
  private readonly seq = new Map<string, number>();

  private constructor(private readonly db: IDBPDatabase<WorkerStores>) {}

  static async open(name = DB_NAME): Promise<RunDb> {
    return new RunDb(await openLabDb<WorkerStores>(name));
  }

  close(): void {
    this.db.close();
  }

  checkpoint(runId: string): Promise<Checkpoint | undefined> {
    return this.db.get('checkpoints', runId);
  }

  /**
   * Keeps a run's metrics before step `from` (one compacted chunk) and drops the rest: a run that
   * starts again at `from` redoes what came after. Its progress follows.
   */
  async truncate(runId: string, from: number): Promise<void> {
    const tx = this.db.transaction(['metrics', 'progress'], 'readwrite');
    const store = tx.objectStore('metrics');
    const chunks = await store.getAll(chunksOf(runId));
    const kept = emptyMetrics();
    for (const c of chunks) appendMetrics(kept, c.data);
    truncateMetrics(kept, from);
    await store.delete(chunksOf(runId));
    if (!isEmptyMetrics(kept)) await store.put({ runId, seq: 0, data: kept });
    const progress = await tx.objectStore('progress').get(runId);
    if (progress && progress.step > from) await tx.objectStore('progress').put({ ...progress, step: from, updatedAt: Date.now() });
    await tx.done;
    this.seq.set(runId, 1);
  }

  /** Appends metrics, and replaces the progress (and the checkpoint), in one transaction. */
  async record(runId: string, write: RunWrite): Promise<void> {
    const stores: StoreNames<WorkerStores>[] = write.checkpoint ? ['metrics', 'progress', 'checkpoints'] : ['metrics', 'progress'];
    const tx = this.db.transaction(stores, 'readwrite');
    const requests: Promise<unknown>[] = [];
    let seq = this.seq.get(runId);
    try {
      if (seq === undefined) {
        const last = await tx.objectStore('metrics').getAllKeys(chunksOf(runId));
        seq = last.length ? last.at(-1)![1] + 1 : 0;
      }
      if (write.metrics && !isEmptyMetrics(write.metrics)) requests.push(tx.objectStore('metrics').put({ runId, seq: seq++, data: copyMetrics(write.metrics) }));
      const previous = await tx.objectStore('progress').get(runId);
      const checkpointStep = write.checkpoint?.step ?? write.progress.checkpointStep ?? previous?.checkpointStep;
      requests.push(tx.objectStore('progress').put({ ...write.progress, runId, updatedAt: Date.now(), ...(checkpointStep !== undefined ? { checkpointStep } : {}) }));
      if (write.checkpoint) requests.push(tx.objectStore('checkpoints').put({ runId, ...write.checkpoint }));
      await Promise.all([...requests, tx.done]);
      this.seq.set(runId, seq);
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      await Promise.allSettled([...requests, tx.done]);
      this.seq.delete(runId); // read the next number from the store again
      throw e;
    }
  }
}
