/**
 * Keeps runs across reloads and runs comparison grids. Every run the page starts is kept: the
 * page writes its record (name, config, status), and the worker writes its metrics, progress and
 * checkpoints (src/worker/storage.ts), so a reload finds every run with its whole curve, and an
 * interrupted one resumes from its last checkpoint. A grid's runs go one after another.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import type { Command, WorkerEvent } from '../../worker/protocol';
import { emptyMetrics, type MetricsData } from '../../worker/metricsData';
import type { GridCell, GridSpec } from '../compare/grid';
import type { LabDb } from '../storage/db';
import { SINGLE_RUNS, type Checkpoint, type Comparison, type KeptRun } from '../storage/records';
import { fromKept, keptStatus, latestRun, replaceRun, RESUMABLE, restoredView, toKept, type LibraryState, type ShelfRun } from './library';
import type { LabStore } from './store';
import { filesFor } from '../forecast/files';
import { RunQueue } from './runQueue';

export interface ShelfHost {
  send(cmd: Command): void;
  newId(prefix: string): string;
  /** A memory prediction for a kept run's config (its summary row shows it). */
  predict(config: unknown, runId: string): void;
  /** Brings back the dropped files these kept runs name, before any of them can resume. */
  restoreFiles(runs: readonly KeptRun[]): Promise<void>;
}

/** Shown while an older tab of the lab holds the database open and the upgrade waits for it. */
const BLOCKED = 'Kept runs are on their way: another tab of the lab holds this browser’s storage open at an older version. Close or reload that tab.';

export class Shelf {
  private db: LabDb | null = null;
  /** The runs the worker trains in turn (grids, resumed and recovered runs). */
  private readonly queue = new RunQueue((id) => this.launch(id));
  private cancelling = new Set<string>();
  /** Runs started from the panel, kept once the worker names their config. */
  private pendingSingles = new Set<string>();
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

  /**
   * Opens the database and shows what it holds, each run with its whole metric history; the
   * latest run comes back on the main page. Without a database, runs live only in this page.
   */
  async open(openDb: (onBlocked: () => void) => Promise<LabDb>): Promise<void> {
    let kept: { comparisons: Comparison[]; runs: KeptRun[] };
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    this.writes = this.writes.then(() => open);
    try {
      this.db = await openDb(() => this.store.update((s) => ({ ...s, notice: BLOCKED })));
      kept = await this.db.loadAll();
    } catch (e) {
      this.db = null;
      this.setLib((l) => ({ ...l, status: 'unavailable', message: `runs are not kept across reloads: ${(e as Error).message || 'IndexedDB is not available'}` }));
      return;
    } finally {
      this.store.update((s) => (s.notice === BLOCKED ? { ...s, notice: undefined } : s));
      opened();
    }
    await this.host.restoreFiles(kept.runs);
    const byTime = <T extends { createdAt: number }>(a: T, b: T) => a.createdAt - b.createdAt;
    const runs: ShelfRun[] = [];
    for (const k of kept.runs.sort(byTime)) {
      // One run's history per task: a long history deserialises in a few milliseconds.
      const data = await this.db.metrics(k.id).catch(() => undefined);
      runs.push(fromKept(k, data ? this.store.metrics.load(k.id, data) : this.store.metrics.of(k.id)));
    }
    const all = [SINGLE_RUNS, ...kept.comparisons.filter((c) => c.id !== SINGLE_RUNS.id)].sort(byTime);
    const latest = latestRun(runs);
    const selected = latest?.comparisonId ?? SINGLE_RUNS.id;
    this.store.update((s) => ({
      ...s,
      library: { ...s.library, status: 'ready', comparisons: all, runs: [...runs, ...s.library.runs], selected },
      ...(latest && !s.run ? { run: restoredView(latest) } : {}),
    }));
    for (const r of runs) if (r.predictedPeak === undefined || r.id === latest?.id) this.host.predict(r.config, r.id);
  }

  /**
   * Writes in order; a failed write is reported and the page goes on. A write made while the
   * database opens waits for it (an older tab can hold the open up for as long as it stays);
   * without a database it is dropped.
   */
  persist(write: (db: LabDb) => Promise<void>): Promise<void> {
    this.writes = this.writes.then(() => (this.db ? write(this.db) : undefined)).catch((e: unknown) => {
      this.store.update((s) => ({ ...s, notice: `Could not save to this browser's storage: ${(e as Error).message}` }));
    });
    return this.writes;
  }

  private save(id: string): void {
    const r = this.run(id);
    if (r) void this.persist((db) => db.saveRun({ ...toKept(r), updatedAt: Date.now() }));
  }

  /** Writes pending before now have landed (tests, export). */
  flushed(): Promise<void> {
    return this.writes;
  }

  /**
   * A run started from the panel (Start, or an imported file) is kept with the single runs from
   * the moment the worker starts it (and names its config): the click itself renders nothing more.
   */
  keepSingle(runId: string): void {
    this.queue.clear();
    this.pendingSingles.add(runId);
  }

  onEvent(e: WorkerEvent): void {
    if (e.runId === null) return;
    const id = e.runId;
    switch (e.type) {
      case 'started': {
        this.launching.delete(id);
        if (this.pendingSingles.delete(id)) this.addSingle(id, e.config, e.targetSteps);
        else if (id !== this.queue.active) this.queue.clear();
        this.progressMs.delete(id);
        return this.update(id, (r) => ({ ...r, config: e.config, status: 'running', step: e.startStep, targetSteps: e.targetSteps, message: undefined }));
      }
      case 'progress':
        // Kept on the side, not in the store: a render per batch would cost more than it shows
        // (the table reads the live run's step from the run itself); saved with the record.
        this.progressMs.set(id, e.activeMs);
        return;
      case 'checkpoint':
        if (this.run(id)) this.update(id, (r) => ({ ...r, checkpointStep: e.step }));
        return;
      case 'error': {
        const refused = this.launching.delete(id);
        this.pendingSingles.delete(id);
        if ((e.fatal || refused) && this.run(id)) this.update(id, (r) => ({ ...r, status: 'failed', message: e.message }));
        if (refused) this.queue.done(id);
        return;
      }
      case 'state': {
        if (!this.run(id) || e.state === 'starting') return;
        const cancelled = e.state === 'stopped' && this.cancelling.delete(id);
        this.update(id, (r) => ({ ...r, status: cancelled ? 'cancelled' : keptStatus(e.state), step: e.step, targetSteps: e.targetSteps }));
        const over = e.state === 'done' || e.state === 'stopped' || e.state === 'failed';
        if (over && id === this.queue.active) {
          // Grids run in a row: the pool gives back what the last run left spare (WebGPU; nothing elsewhere).
          if (this.run(id)?.comparisonId !== SINGLE_RUNS.id) this.host.send({ type: 'releaseCachedMemory' });
          this.queue.done(id);
        }
        return;
      }
      default:
        return;
    }
  }

  private update(id: string, change: (r: ShelfRun) => ShelfRun): void {
    const activeMs = this.progressMs.get(id);
    this.setLib((l) => replaceRun(l, id, (r) => change(activeMs === undefined ? r : { ...r, activeMs })));
    this.save(id);
  }

  private addSingle(id: string, config: LabRunConfig, targetSteps: number): void {
    if (this.run(id)) return;
    const r: ShelfRun = {
      id, comparisonId: SINGLE_RUNS.id, name: `${config.task.name} · ${config.train.optimizer.name} · ${config.train.precision}`, config,
      status: 'queued', step: 0, targetSteps, activeMs: 0, createdAt: Date.now(), metrics: this.store.metrics.of(id),
    };
    this.setLib((l) => ({ ...l, runs: [...l.runs, r] }));
    this.save(id);
    this.host.predict(config, id);
  }

  /** A new comparison from a grid; its runs start one after another. */
  startGrid(name: string, grid: GridSpec, cells: GridCell[]): string {
    const comparison: Comparison = { id: this.host.newId('cmp'), name, createdAt: Date.now(), grid };
    const runs: ShelfRun[] = cells.map((c, i) => {
      const id = this.host.newId('run');
      return {
        id, comparisonId: comparison.id, name: c.label, config: c.config, status: 'queued',
        step: 0, targetSteps: c.config.train.steps, activeMs: 0, createdAt: comparison.createdAt + i, metrics: this.store.metrics.of(id),
      };
    });
    this.setLib((l) => ({ ...l, comparisons: [...l.comparisons, comparison], runs: [...l.runs, ...runs], selected: comparison.id }));
    void this.persist((db) => db.saveAll(comparison, runs.map(toKept)));
    for (const r of runs) this.host.predict(r.config, r.id);
    this.queue.add(runs.map((r) => r.id));
    return comparison.id;
  }

  /** Runs the comparison's queued runs (after a reload, or after another run interrupted the grid). */
  runQueued(comparisonId: string): void {
    this.queue.add(this.lib.runs.filter((r) => r.comparisonId === comparisonId && r.status === 'queued').map((r) => r.id));
  }

  /**
   * Starts a run: the worker goes on from the checkpoint it stored for it when there is one
   * (the checkpoint never passes through the page), from the beginning otherwise.
   */
  private launch(id: string): void {
    const r = this.run(id);
    if (!r) return this.queue.done(id);
    this.launching.add(id);
    if (r.checkpointStep !== undefined) {
      this.host.send({ type: 'resumeKept', runId: id, config: r.config, resumeTo: r.targetSteps, activeMs: r.activeMs, files: filesFor(r.config) });
    } else {
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
    this.queue.first(id);
  }

  /** A failed run goes on from its last checkpoint (from the start without one), before any queued run. */
  recover(id: string): void {
    const r = this.run(id);
    if (!r || r.status !== 'failed' || id === this.queue.active) return;
    this.update(id, (x) => ({ ...x, status: 'queued', message: undefined }));
    this.queue.first(id);
  }

  /** Stops a run for good: now if it trains, or before its turn if it waits. */
  cancel(id: string): void {
    const r = this.run(id);
    if (!r) return;
    if (id === this.queue.active || r.status === 'running' || r.status === 'paused') {
      this.cancelling.add(id);
      this.host.send({ type: 'stop', runId: id });
    } else if (r.status === 'queued') {
      this.queue.remove(new Set([id]));
      this.update(id, (x) => ({ ...x, status: 'cancelled' }));
    }
  }

  /** Runs it again from the start: metrics and checkpoint are dropped. */
  rerun(id: string): void {
    const r = this.run(id);
    if (!r || id === this.queue.active || r.status === 'running') return;
    r.metrics.truncate(0);
    this.progressMs.delete(id);
    this.update(id, (x) => ({ ...x, status: 'queued', step: 0, activeMs: 0, checkpointStep: undefined, message: undefined }));
    void this.persist((db) => db.clearTraining(id));
    this.queue.add([id]);
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
    if (id === this.queue.active || this.run(id)?.status === 'running') return;
    this.queue.remove(new Set([id]));
    this.setLib((l) => ({ ...l, runs: l.runs.filter((r) => r.id !== id) }));
    this.store.metrics.forget(id);
    void this.persist((db) => db.deleteRun(id));
  }

  removeComparison(id: string): void {
    const ids = new Set(this.lib.runs.filter((r) => r.comparisonId === id).map((r) => r.id));
    const active = this.queue.active;
    if (active && ids.has(active)) return;
    this.queue.remove(ids);
    this.setLib((l) => ({
      ...l,
      comparisons: id === SINGLE_RUNS.id ? l.comparisons : l.comparisons.filter((c) => c.id !== id),
      runs: l.runs.filter((r) => !ids.has(r.id)),
      selected: l.selected === id ? SINGLE_RUNS.id : l.selected,
    }));
    for (const r of ids) this.store.metrics.forget(r);
    void this.persist((db) => db.deleteComparison(id));
  }

  select(comparisonId: string): void {
    this.setLib((l) => ({ ...l, selected: comparisonId }));
  }

  /** Whether a run is the one the grid trains now or waits in its queue. */
  scheduled(id: string): boolean {
    return this.queue.scheduled(id);
  }

  /** The stored checkpoints of some runs (for a comparison file). */
  async checkpoints(ids: string[]): Promise<Checkpoint[]> {
    await this.writes;
    const found = await Promise.all(ids.map((id) => this.db?.checkpoint(id)));
    return found.filter((c): c is Checkpoint => c !== undefined);
  }

  /** Adds an imported comparison (already checked) with its runs, their metrics and checkpoints. */
  addComparison(comparison: Comparison, runs: KeptRun[], metrics: Map<string, MetricsData>, checkpoints: Checkpoint[]): void {
    const shelved = runs.map((r) => fromKept(r, this.store.metrics.load(r.id, metrics.get(r.id) ?? emptyMetrics())));
    this.setLib((l) => ({ ...l, comparisons: [...l.comparisons, comparison], runs: [...l.runs, ...shelved], selected: comparison.id }));
    void this.persist((db) => db.saveAll(comparison, runs, { metrics, checkpoints }));
  }
}
