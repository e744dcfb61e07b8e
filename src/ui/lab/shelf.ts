/**
 * Keeps runs across reloads and runs comparison grids. Every run the page starts is kept: its
 * record (config, status, metrics) and its last checkpoint go to IndexedDB together whenever
 * the worker sends one (start, every evaluation, pause, stop, end), so a reload finds every run
 * and resumes an interrupted one from its last saved step. A grid's runs go one after another.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import type { Command, WorkerEvent } from '../../worker/protocol';
import type { GridCell, GridSpec } from '../compare/grid';
import type { LabDb } from '../storage/db';
import { SINGLE_RUNS, type Checkpoint, type Comparison, type KeptRun } from '../storage/records';
import { fromKept, keptStatus, replaceRun, RESUMABLE, toKept, type LibraryState, type ShelfRun } from './library';
import { RunMetrics } from './metrics';
import type { LabStore } from './store';
import { filesFor } from '../forecast/files';

export interface ShelfHost {
  send(cmd: Command): void;
  newId(prefix: string): string;
  /** A memory prediction for a kept run's config (its summary row shows it). */
  predict(config: unknown, runId: string): void;
}

export class Shelf {
  private db: LabDb | null = null;
  /** Grid runs waiting for their turn, in order. */
  private queue: string[] = [];
  /** The queued run the worker trains now. */
  private active?: string;
  private cancelling = new Set<string>();
  /** Runs started with Start or an import, kept once the worker names their config. */
  private pendingSingles = new Set<string>();
  /** Training time of earlier sessions of a resumed run. */
  private baseMs = new Map<string, number>();
  /** Training time of a run as of its last progress event (earlier sessions included). */
  private progressMs = new Map<string, number>();
  /** Runs sent to the worker that have not started yet: a refusal moves the grid on. */
  private launching = new Set<string>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly store: LabStore, private readonly host: ShelfHost) {}

  private get lib(): LibraryState {
    return this.store.getState().library;
  }

  private setLib(change: (l: LibraryState) => LibraryState): void {
    this.store.update((s) => ({ ...s, library: change(s.library) }));
  }

  private run(id: string): ShelfRun | undefined {
    return this.lib.runs.find((r) => r.id === id);
  }

  /** Opens the database and shows what it holds; without one, runs live only in this page. */
  async open(openDb: () => Promise<LabDb>): Promise<void> {
    try {
      this.db = await openDb();
      const { comparisons, runs } = await this.db.loadAll();
      const byTime = <T extends { createdAt: number }>(a: T, b: T) => a.createdAt - b.createdAt;
      const all = [SINGLE_RUNS, ...comparisons.filter((c) => c.id !== SINGLE_RUNS.id)].sort(byTime);
      const selected = [...all].reverse().find((c) => runs.some((r) => r.comparisonId === c.id))?.id ?? SINGLE_RUNS.id;
      this.setLib((l) => ({ ...l, status: 'ready', comparisons: all, runs: [...runs.map(fromKept).sort(byTime), ...l.runs], selected }));
    } catch (e) {
      this.db = null;
      this.setLib((l) => ({ ...l, status: 'unavailable', message: `runs are not kept across reloads: ${(e as Error).message || 'IndexedDB is not available'}` }));
    }
  }

  /** Writes in order; a failed write is reported and the page goes on. */
  private persist(write: (db: LabDb) => Promise<void>): Promise<void> {
    const db = this.db;
    if (!db) return Promise.resolve();
    this.writes = this.writes.then(() => write(db)).catch((e: unknown) => {
      this.store.update((s) => ({ ...s, notice: `Could not save to this browser's storage: ${(e as Error).message}` }));
    });
    return this.writes;
  }

  private save(id: string, checkpoint?: Checkpoint): void {
    const r = this.run(id);
    if (r) void this.persist((db) => db.saveRun(toKept(r), checkpoint));
  }

  /** Writes pending before now have landed (tests, export). */
  flushed(): Promise<void> {
    return this.writes;
  }

  /** A run started from the panel (Start or an imported file) is kept with the single runs. */
  keepSingle(runId: string): void {
    this.pendingSingles.add(runId);
    this.queue = [];
    this.active = undefined;
  }

  onEvent(e: WorkerEvent): void {
    if (e.runId === null) return;
    const id = e.runId;
    switch (e.type) {
      case 'started': {
        this.launching.delete(id);
        if (this.pendingSingles.delete(id)) this.addSingle(id, e.config, e.targetSteps);
        else if (id !== this.active) {
          this.queue = [];
          this.active = undefined;
        }
        this.baseMs.set(id, this.run(id)?.activeMs ?? 0);
        this.progressMs.delete(id);
        return this.update(id, (r) => ({ ...r, status: 'running', step: e.startStep, targetSteps: e.targetSteps, message: undefined }));
      }
      case 'progress':
        // Kept on the side, not in the store: a render per step would cost more than it shows
        // (the table reads the live run's step from the run itself); saved with the record.
        this.progressMs.set(id, (this.baseMs.get(id) ?? 0) + e.activeMs);
        return;
      case 'checkpoint':
        if (this.run(id)) this.update(id, (r) => ({ ...r, checkpointStep: e.step }), { runId: id, step: e.step, text: e.text });
        return;
      case 'error': {
        const refused = this.launching.delete(id);
        if ((e.fatal || refused) && this.run(id)) this.update(id, (r) => ({ ...r, status: 'failed', message: e.message }));
        if (refused && id === this.active) {
          this.active = undefined;
          this.next();
        }
        return;
      }
      case 'state': {
        if (!this.run(id) || e.state === 'starting') return;
        const cancelled = e.state === 'stopped' && this.cancelling.delete(id);
        this.update(id, (r) => ({ ...r, status: cancelled ? 'cancelled' : keptStatus(e.state), step: e.step, targetSteps: e.targetSteps }));
        const over = e.state === 'done' || e.state === 'stopped' || e.state === 'failed';
        if (over && id === this.active) {
          this.active = undefined;
          this.next();
        }
        return;
      }
      default:
        return;
    }
  }

  private update(id: string, change: (r: ShelfRun) => ShelfRun, checkpoint?: Checkpoint): void {
    const activeMs = this.progressMs.get(id);
    this.setLib((l) => replaceRun(l, id, (r) => change(activeMs === undefined ? r : { ...r, activeMs })));
    this.save(id, checkpoint);
  }

  private addSingle(id: string, config: LabRunConfig, targetSteps: number): void {
    const r: ShelfRun = {
      id, comparisonId: SINGLE_RUNS.id, name: `${config.task.name} · ${config.train.optimizer.name} · ${config.train.precision}`, config,
      status: 'running', step: 0, targetSteps, activeMs: 0, createdAt: Date.now(), metrics: new RunMetrics(),
    };
    this.setLib((l) => ({ ...l, runs: [...l.runs, r] }));
    this.host.predict(config, id);
  }

  /** A new comparison from a grid; its runs start one after another. */
  startGrid(name: string, grid: GridSpec, cells: GridCell[]): string {
    const comparison: Comparison = { id: this.host.newId('cmp'), name, createdAt: Date.now(), grid };
    const runs: ShelfRun[] = cells.map((c, i) => ({
      id: this.host.newId('run'), comparisonId: comparison.id, name: c.label, config: c.config, status: 'queued',
      step: 0, targetSteps: c.config.train.steps, activeMs: 0, createdAt: comparison.createdAt + i, metrics: new RunMetrics(),
    }));
    this.setLib((l) => ({ ...l, comparisons: [...l.comparisons, comparison], runs: [...l.runs, ...runs], selected: comparison.id }));
    void this.persist((db) => db.saveAll(comparison, runs.map(toKept), []));
    for (const r of runs) this.host.predict(r.config, r.id);
    this.enqueue(runs.map((r) => r.id));
    return comparison.id;
  }

  /** Runs the comparison's queued runs (after a reload, or after another run interrupted the grid). */
  runQueued(comparisonId: string): void {
    this.enqueue(this.lib.runs.filter((r) => r.comparisonId === comparisonId && r.status === 'queued').map((r) => r.id));
  }

  private enqueue(ids: string[]): void {
    this.queue.push(...ids.filter((id) => !this.queue.includes(id) && id !== this.active));
    if (!this.active) this.next();
  }

  private next(): void {
    const id = this.queue.shift();
    if (id === undefined) return;
    this.active = id;
    void this.launch(id);
  }

  /** Starts a run from its checkpoint when it has one, from the beginning otherwise. */
  private async launch(id: string): Promise<void> {
    const r = this.run(id);
    if (!r) return this.next();
    this.launching.add(id);
    const checkpoint = r.checkpointStep !== undefined && r.checkpointStep > 0 ? await this.db?.checkpoint(id) : undefined;
    if (checkpoint) {
      this.host.send({ type: 'importWeights', runId: id, text: checkpoint.text, config: r.config, keep: true, resumeTo: r.targetSteps, files: filesFor(r.config) });
    } else {
      r.metrics.truncate(0);
      this.host.send({ type: 'start', runId: id, config: r.config, keep: true, holdFirst: true, files: filesFor(r.config) });
    }
  }

  /** Goes on from the last saved step (or from the start when nothing was saved). */
  resume(id: string): void {
    const r = this.run(id);
    if (!r || !RESUMABLE.includes(r.status)) return;
    const current = this.store.getState().run;
    if (current?.id === id && current.live && r.status !== 'queued') {
      // The worker still holds this run's model: it goes on from where it is.
      this.host.send({ type: 'resume', runId: id, steps: r.targetSteps });
      return;
    }
    if (r.status !== 'queued') this.update(id, (x) => ({ ...x, status: 'queued' }));
    this.queue = this.queue.filter((q) => q !== id);
    this.queue.unshift(id);
    if (!this.active) this.next();
  }

  /** Stops a run for good: now if it trains, or before its turn if it waits. */
  cancel(id: string): void {
    const r = this.run(id);
    if (!r) return;
    if (id === this.active || r.status === 'running' || r.status === 'paused') {
      this.cancelling.add(id);
      this.host.send({ type: 'stop', runId: id });
    } else if (r.status === 'queued') {
      this.queue = this.queue.filter((q) => q !== id);
      this.update(id, (x) => ({ ...x, status: 'cancelled' }));
    }
  }

  /** Runs it again from the start: metrics and checkpoint are dropped. */
  rerun(id: string): void {
    const r = this.run(id);
    if (!r || id === this.active || r.status === 'running') return;
    r.metrics.truncate(0);
    this.progressMs.delete(id);
    this.update(id, (x) => ({ ...x, status: 'queued', step: 0, activeMs: 0, checkpointStep: undefined, message: undefined }));
    void this.persist((db) => db.deleteCheckpoint(id));
    this.enqueue([id]);
  }

  rename(id: string, name: string): void {
    const trimmed = name.trim();
    if (trimmed) this.update(id, (r) => ({ ...r, name: trimmed }));
  }

  renameComparison(id: string, name: string): void {
    const trimmed = name.trim();
    const c = this.lib.comparisons.find((x) => x.id === id);
    if (!c || !trimmed) return;
    const renamed = { ...c, name: trimmed };
    this.setLib((l) => ({ ...l, comparisons: l.comparisons.map((x) => (x.id === id ? renamed : x)) }));
    void this.persist((db) => db.saveComparison(renamed));
  }

  remove(id: string): void {
    if (id === this.active || this.run(id)?.status === 'running') return;
    this.queue = this.queue.filter((q) => q !== id);
    this.setLib((l) => ({ ...l, runs: l.runs.filter((r) => r.id !== id) }));
    void this.persist((db) => db.deleteRun(id));
  }

  removeComparison(id: string): void {
    const ids = new Set(this.lib.runs.filter((r) => r.comparisonId === id).map((r) => r.id));
    if (this.active && ids.has(this.active)) return;
    this.queue = this.queue.filter((q) => !ids.has(q));
    this.setLib((l) => ({
      ...l,
      comparisons: id === SINGLE_RUNS.id ? l.comparisons : l.comparisons.filter((c) => c.id !== id),
      runs: l.runs.filter((r) => !ids.has(r.id)),
      selected: l.selected === id ? SINGLE_RUNS.id : l.selected,
    }));
    void this.persist((db) => db.deleteComparison(id));
  }

  select(comparisonId: string): void {
    this.setLib((l) => ({ ...l, selected: comparisonId }));
  }

  /** Whether a run is the one the grid trains now or waits in its queue. */
  scheduled(id: string): boolean {
    return id === this.active || this.queue.includes(id);
  }

  /** The stored checkpoints of some runs (for a comparison file). */
  async checkpoints(ids: string[]): Promise<Checkpoint[]> {
    await this.writes;
    const found = await Promise.all(ids.map((id) => this.db?.checkpoint(id)));
    return found.filter((c): c is Checkpoint => c !== undefined);
  }

  /** Adds an imported comparison (already checked) with its runs and checkpoints. */
  addComparison(comparison: Comparison, runs: KeptRun[], checkpoints: Checkpoint[]): void {
    this.setLib((l) => ({ ...l, comparisons: [...l.comparisons, comparison], runs: [...l.runs, ...runs.map(fromKept)], selected: comparison.id }));
    void this.persist((db) => db.saveAll(comparison, runs, checkpoints));
  }
}
