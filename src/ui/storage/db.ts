/**
 * The lab's IndexedDB (through `idb`). Every change that touches more than one record is one
 * transaction, aborted as a whole when any part fails: a run and its checkpoint are written
 * together or not at all, so an interrupted write leaves the previous state readable.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { Checkpoint, Comparison, KeptRun } from './records';

interface LabSchema extends DBSchema {
  comparisons: { key: string; value: Comparison };
  runs: { key: string; value: KeptRun; indexes: { byComparison: string } };
  checkpoints: { key: string; value: Checkpoint };
}

type Stores = ('comparisons' | 'runs' | 'checkpoints')[];
type WriteTx = IDBPTransaction<LabSchema, Stores, 'readwrite'>;

export const DB_NAME = 'transformer-lab';

export class LabDb {
  private constructor(private readonly db: IDBPDatabase<LabSchema>) {}

  static async open(name = DB_NAME): Promise<LabDb> {
    const db = await openDB<LabSchema>(name, 1, {
      upgrade(db) {
        db.createObjectStore('comparisons', { keyPath: 'id' });
        db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byComparison', 'comparisonId');
        db.createObjectStore('checkpoints', { keyPath: 'runId' });
      },
    });
    return new LabDb(db);
  }

  close(): void {
    this.db.close();
  }

  async loadAll(): Promise<{ comparisons: Comparison[]; runs: KeptRun[] }> {
    const tx = this.db.transaction(['comparisons', 'runs'], 'readonly');
    const [comparisons, runs] = await Promise.all([tx.objectStore('comparisons').getAll(), tx.objectStore('runs').getAll(), tx.done]);
    return { comparisons, runs };
  }

  checkpoint(runId: string): Promise<Checkpoint | undefined> {
    return this.db.get('checkpoints', runId);
  }

  /** A run's record, with its new checkpoint when given: both land or neither does. */
  saveRun(run: KeptRun, checkpoint?: Checkpoint): Promise<void> {
    return this.write(['runs', 'checkpoints'], (tx) => [
      () => tx.objectStore('runs').put(run),
      ...(checkpoint ? [() => tx.objectStore('checkpoints').put(checkpoint)] : []),
    ]);
  }

  saveComparison(comparison: Comparison): Promise<void> {
    return this.write(['comparisons'], (tx) => [() => tx.objectStore('comparisons').put(comparison)]);
  }

  /** A comparison with its runs and their checkpoints (a new grid, or an imported file). */
  saveAll(comparison: Comparison, runs: KeptRun[], checkpoints: Checkpoint[]): Promise<void> {
    return this.write(['comparisons', 'runs', 'checkpoints'], (tx) => [
      () => tx.objectStore('comparisons').put(comparison),
      ...runs.map((r) => () => tx.objectStore('runs').put(r)),
      ...checkpoints.map((c) => () => tx.objectStore('checkpoints').put(c)),
    ]);
  }

  deleteRun(runId: string): Promise<void> {
    return this.write(['runs', 'checkpoints'], (tx) => [() => tx.objectStore('runs').delete(runId), () => tx.objectStore('checkpoints').delete(runId)]);
  }

  deleteCheckpoint(runId: string): Promise<void> {
    return this.write(['checkpoints'], (tx) => [() => tx.objectStore('checkpoints').delete(runId)]);
  }

  /** A comparison and everything in it. */
  async deleteComparison(id: string): Promise<void> {
    const runIds = await this.db.getAllKeysFromIndex('runs', 'byComparison', id);
    return this.write(['comparisons', 'runs', 'checkpoints'], (tx) => [
      () => tx.objectStore('comparisons').delete(id),
      ...runIds.flatMap((r) => [() => tx.objectStore('runs').delete(r), () => tx.objectStore('checkpoints').delete(r)]),
    ]);
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
