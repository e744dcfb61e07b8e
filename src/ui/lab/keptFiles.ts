/**
 * The files dropped on the page, kept across reloads in the lab's database: a text (`task.file`)
 * once the worker has accepted it, a CSV (`task.csv`) when it is dropped. When the page opens,
 * the files its kept runs name come back before any run can resume: a text goes to the worker
 * again, which checks it again; a CSV goes back into droppedFiles. Files no kept run names are
 * deleted then. After a reload the config panel shows the latest kept run's config (App.tsx), so
 * the runs' names cover the files the panel's config names.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import type { WorkerEvent } from '../../worker/protocol';
import { droppedFiles } from '../forecast/files';
import type { LabDb } from '../storage/db';
import type { KeptFile } from '../storage/records';

export interface KeptFilesHost {
  /** Sends a text to the worker to decode and check; returns the request id of its answer. */
  sendText(name: string, bytes: ArrayBuffer): number;
  /** Storage work in order with the page's other writes; a failure is reported and the page goes on. */
  persist(work: (db: LabDb) => Promise<void>): Promise<void>;
}

type FileKey = Pick<KeptFile, 'kind' | 'name'>;

/** The dropped file a run config reads, if it reads one. */
function fileOf(config: LabRunConfig): FileKey | undefined {
  const task = config.task;
  if (task.name === 'text' && task.file !== undefined) return { kind: 'text', name: task.file };
  if (task.name === 'forecast' && task.csv !== undefined) return { kind: 'csv', name: task.csv };
  return undefined;
}

const keyOf = (f: FileKey) => `${f.kind}:${f.name}`;

export class KeptFiles {
  /**
   * The last text sent to the worker under each name: with its bytes when it was dropped (kept once
   * accepted), without when it came from storage (deleted from it if the worker now refuses it).
   */
  private readonly checking = new Map<string, { requestId: number; dropped?: ArrayBuffer }>();

  constructor(private readonly host: KeptFilesHost) {}

  /** A dropped text sent to the worker under `requestId`. */
  textSent(name: string, requestId: number, bytes: ArrayBuffer): void {
    this.checking.set(name, { requestId, dropped: bytes });
  }

  addCsv(name: string, text: string): void {
    droppedFiles.set(name, text);
    void this.host.persist((db) => db.saveFile({ kind: 'csv', name, content: text, savedAt: Date.now() }));
  }

  onEvent(e: WorkerEvent): void {
    if (e.type !== 'textAdded') return;
    const sent = this.checking.get(e.name);
    if (sent?.requestId !== e.requestId) return; // a later text of the same name is being checked
    this.checking.delete(e.name);
    const { name } = e;
    if (e.facts && sent.dropped) {
      const content = sent.dropped;
      void this.host.persist((db) => db.saveFile({ kind: 'text', name, content, savedAt: Date.now() }));
    } else if (!e.facts && !sent.dropped) {
      void this.host.persist((db) => db.deleteFiles([{ kind: 'text', name }]));
    }
  }

  /** Brings back the files `runs` name, and deletes the others from storage. */
  restore(runs: readonly { config: LabRunConfig }[]): Promise<void> {
    const named = new Set(runs.map((r) => fileOf(r.config)).filter((f) => f !== undefined).map(keyOf));
    return this.host.persist(async (db) => {
      const files = await db.files();
      for (const f of files) {
        if (!named.has(keyOf(f))) continue;
        if (f.kind === 'csv') droppedFiles.set(f.name, f.content);
        else this.checking.set(f.name, { requestId: this.host.sendText(f.name, f.content) });
      }
      const unnamed = files.filter((f) => !named.has(keyOf(f)));
      if (unnamed.length) await db.deleteFiles(unnamed);
    });
  }
}
