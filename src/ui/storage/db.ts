/**
 * The lab's IndexedDB as the page uses it (through `idb`): its own records (comparisons, runs,
 * dropped files) and, read-only while runs train, what the worker writes (metrics, progress, checkpoints; see
 * src/worker/storage.ts). Every change that touches more than one record is one transaction,
 * aborted as a whole when any part fails.
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { appendMetrics, emptyMetrics, type MetricsData } from '../../worker/metricsData';
import { chunksOf, DB_NAME, openLabDb, type WorkerStores } from '../../worker/storage';
import type { Checkpoint, Comparison, KeptFile, KeptFileKind, KeptRun, Progress } from './records';

interface LabSchema extends WorkerStores {
  comparisons: { key: string; value: Comparison };
  runs: { key: string; value: KeptRun; indexes: { byComparison: string } };
  files: { key: [KeptFileKind, string]; value: KeptFile };
}

type Stores = ('comparisons' | 'runs' | 'checkpoints' | 'metrics' | 'progress' | 'files')[];
type WriteTx = IDBPTransaction<LabSchema, Stores, 'readwrite'>;

export class LabDb {
  private constructor(private readonly db: IDBPDatabase<LabSchema>) {}

  /** `onBlocked`: another tab holds the database at an older version, and the upgrade waits for it. */
  static async open(name = DB_NAME, onBlocked?: () => void): Promise<LabDb> {
    return new LabDb(await openLabDb<LabSchema>(name, onBlocked));
  }

  close(): void {
    this.db.close();
  }

  /** Every comparison and run; each run's step, time and checkpoint as far as the worker got. */
  async loadAll(): Promise<{ comparisons: Comparison[]; runs: KeptRun[] }> {
    const tx = this.db.transaction(['comparisons', 'runs', 'progress'], 'readonly');
    const [comparisons, runs, progress] = await Promise.all([tx.objectStore('comparisons').getAll(), tx.objectStore('runs').getAll(), tx.objectStore('progress').getAll(), tx.done]);
    const byRun = new Map(progress.map((p) => [p.runId, p]));
    return { comparisons, runs: runs.map((r) => merge(r, byRun.get(r.id))) };
  }

  /** A run's whole metric history. */
  async metrics(runId: string): Promise<MetricsData> {
    const chunks = await this.db.getAll('metrics', chunksOf(runId));
    const m = emptyMetrics();
    for (const c of chunks) appendMetrics(m, c.data);
    return m;
  }

  checkpoint(runId: string): Promise<Checkpoint | undefined> {
    return this.db.get('checkpoints', runId);
  }

  /** The page's record of a run (name, status, config). */
  saveRun(run: KeptRun): Promise<void> {
    return this.write(['runs'], (tx) => [() => tx.objectStore('runs').put(run)]);
  }

  saveComparison(comparison: Comparison): Promise<void> {
    return this.write(['comparisons'], (tx) => [() => tx.objectStore('comparisons').put(comparison)]);
  }

  /**
   * A comparison with its runs, and for runs that bring them (an imported file) their metrics
   * and checkpoints: all of it lands or none does.
   */
  saveAll(comparison: Comparison, runs: KeptRun[], data: { metrics?: Map<string, MetricsData>; checkpoints?: Checkpoint[] } = {}): Promise<void> {
    return this.write(['comparisons', 'runs', 'checkpoints', 'metrics', 'progress'], (tx) => [
      () => tx.objectStore('comparisons').put(comparison),
      ...runs.map((r) => () => tx.objectStore('runs').put(r)),
      ...[...(data.metrics ?? [])].map(([runId, m]) => () => tx.objectStore('metrics').put({ runId, seq: 0, data: m })),
      ...runs.filter((r) => data.metrics?.has(r.id)).map((r) => () => tx.objectStore('progress').put(progressOf(r))),
      ...(data.checkpoints ?? []).map((c) => () => tx.objectStore('checkpoints').put(c)),
    ]);
  }

  /** A run and everything kept of it. */
  deleteRun(runId: string): Promise<void> {
    return this.write(['runs', 'checkpoints', 'metrics', 'progress'], (tx) => [
      () => tx.objectStore('runs').delete(runId),
      ...forgetTraining(tx, runId),
    ]);
  }

  /** What a run trained (metrics, progress, checkpoint): it starts again from nothing. */
  clearTraining(runId: string): Promise<void> {
    return this.write(['checkpoints', 'metrics', 'progress'], (tx) => forgetTraining(tx, runId));
  }

  /** A comparison and everything in it. */
  async deleteComparison(id: string): Promise<void> {
    const runIds = await this.db.getAllKeysFromIndex('runs', 'byComparison', id);
    return this.write(['comparisons', 'runs', 'checkpoints', 'metrics', 'progress'], (tx) => [
      () => tx.objectStore('comparisons').delete(id),
      ...runIds.flatMap((r) => [() => tx.objectStore('runs').delete(r), ...forgetTraining(tx, r)]),
    ]);
  }

  /** Every kept dropped file, texts and CSVs. */
  files(): Promise<KeptFile[]> {
    return this.db.getAll('files');
  }

  /** A dropped file; it replaces the one of the same kind and name. */
  saveFile(file: KeptFile): Promise<void> {
    return this.write(['files'], (tx) => [() => tx.objectStore('files').put(file)]);
  }

  deleteFiles(files: readonly Pick<KeptFile, 'kind' | 'name'>[]): Promise<void> {
    return this.write(['files'], (tx) => files.map((f) => () => tx.objectStore('files').delete([f.kind, f.name])));
  }

  /**
   * Runs `requests` in one readwrite transaction. A request that throws (a value that cannot be
   * stored, a full disk) aborts the whole transaction, so nothing of it lands.
   */
  private async write(stores: Stores, requests: (tx: WriteTx) => (() => Promise<unknown>)[]): Promise<void> {
    const tx = this.db.transaction(stores, 'readwrite');
    const done = tx.done;
    const pending: Promise<unknown>[] = [];
    try {
      for (const request of requests(tx)) pending.push(request());
      await Promise.all([...pending, done]);
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      await Promise.allSettled([...pending, done]);
      throw e;
    }
  }
}

function forgetTraining(tx: WriteTx, runId: string): (() => Promise<unknown>)[] {
  return [
    () => tx.objectStore('checkpoints').delete(runId),
    () => tx.objectStore('metrics').delete(chunksOf(runId)),
    () => tx.objectStore('progress').delete(runId),
  ];
}

const progressOf = (r: KeptRun): Progress => ({
  runId: r.id, step: r.step, activeMs: r.activeMs, updatedAt: Date.now(), ...(r.checkpointStep !== undefined ? { checkpointStep: r.checkpointStep } : {}),
});

/** The worker's progress wins where it got further than the page last heard (it writes while the run trains). */
function merge(r: KeptRun, p: Progress | undefined): KeptRun {
  if (!p) return r;
  const checkpointStep = p.checkpointStep ?? r.checkpointStep;
  return {
    ...r, step: Math.max(r.step, p.step), activeMs: Math.max(r.activeMs, p.activeMs), updatedAt: Math.max(r.updatedAt ?? 0, p.updatedAt),
    ...(checkpointStep !== undefined ? { checkpointStep } : {}),
  };
}
