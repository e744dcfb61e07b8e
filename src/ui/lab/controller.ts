/**
 * What the page can ask of the worker. Sends commands through a port, queues every event for
 * the store (the message handler does nothing else), and, once the store has applied them,
 * hands them to the shelf and turns exports into downloads. Before the first run it times a
 * step on each backend (chooser.ts) and sets up the fastest.
 */
import type { SampleOptions } from '../../engine/eval/sample';
import { chooseBackend } from '../../worker/choose';
import type { BackendChoice, Command, WorkerEvent } from '../../worker/protocol';
import type { DrawGate } from '../charts/drawQueue';
import { timeBackends, type ProbePort } from './chooser';
import { metricsCsv } from './metrics';
import type { LabDb } from '../storage/db';
import { filesFor } from '../forecast/files';
import { KeptFiles } from './keptFiles';
import { Shelf } from './shelf';
import type { LabStore } from './store';

/** The page's end of the worker: a real Worker in the browser, a fake one in tests. */
export interface WorkerPort {
  post(cmd: Command): void;
  listen(listener: (e: WorkerEvent) => void): void;
}

export type Download = (filename: string, content: string | Blob, mime: string) => void;

export interface ControllerOptions {
  /** The IndexedDB that keeps runs across reloads (none in tests that do not need it). */
  openDb?: (onBlocked: () => void) => Promise<LabDb>;
  /** A probe worker for the backend choice; without one, `auto` leaves the choice to the worker's chain. */
  spawnProbe?: () => ProbePort;
}

/** How long a draw window waits for the worker to reach a step boundary before drawing anyway. */
const HOLD_WAIT_MS = 15_000;

let counter = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(++counter).toString(36)}`;
const newRunId = () => newId('run');

export class LabController {
  private requestId = 0;
  private exports = new Map<number, string>();
  private held?: () => void;
  private holding?: string;
  private choosing = 0;
  /** A run that lost its device or memory, to go on from its checkpoint once the new backend is ready. */
  private recovering?: string;

  /** Kept runs and comparison grids. */
  readonly shelf: Shelf;
  /** Dropped texts and CSVs, kept across reloads with the runs. */
  private readonly files: KeptFiles;

  constructor(private readonly port: WorkerPort, readonly store: LabStore, private readonly download: Download, private readonly opts: ControllerOptions = {}) {
    this.files = new KeptFiles({ sendText: (name, bytes) => this.sendText(name, bytes), persist: (work) => this.shelf.persist(work) });
    this.shelf = new Shelf(store, {
      send: (cmd) => port.post(cmd), newId, predict: (config, runId) => this.predict(config, runId), restoreFiles: (runs) => this.files.restore(runs),
    });
    if (opts.openDb) void this.shelf.open(opts.openDb);
    port.listen((e) => store.receive(e));
    store.onApplied((e) => {
      this.files.onEvent(e);
      this.shelf.onEvent(e);
      this.after(e);
    });
  }

  private after(e: WorkerEvent): void {
    if (e.type === 'ready' && this.recovering) {
      this.shelf.recover(this.recovering);
      this.recovering = undefined;
    }
    if (e.type === 'error' && e.runId === null) this.recovering = undefined; // the backend did not come up
    if (e.type === 'started') this.predict(e.config, e.runId); // the memory chart's reference line
    if (e.type === 'held' || (e.type === 'state' && e.state !== 'running' && e.state !== 'starting')) this.held?.();
    if (e.type === 'exported' && this.exports.has(e.requestId)) {
      this.exports.delete(e.requestId);
      this.download(`${this.baseName()}-step${e.step}.weights.json`, e.text, 'application/json');
    }
  }

  /** Chart redraws wait for a quiet device while a run trains (see charts/drawQueue.ts). */
  readonly drawGate: DrawGate = {
    busy: () => {
      const state = this.store.getState().run?.state;
      return state === 'running' || state === 'starting';
    },
    open: () => {
      const run = this.store.getState().run;
      if (!run || (run.state !== 'running' && run.state !== 'starting')) return Promise.resolve(false);
      this.holding = run.id;
      this.port.post({ type: 'hold', runId: run.id });
      return new Promise((resolve) => {
        const timer = setTimeout(() => this.held?.(), HOLD_WAIT_MS);
        this.held = () => {
          clearTimeout(timer);
          this.held = undefined;
          resolve(true);
        };
      });
    },
    close: () => {
      if (this.holding) this.port.post({ type: 'release', runId: this.holding });
      this.holding = undefined;
    },
  };

  /**
   * Sets up a backend: a named one (and the ones after it if it fails), or for `auto` the one
   * that trains one small step of `config` fastest here.
   */
  async init(choice: BackendChoice, config?: unknown): Promise<void> {
    const spawn = this.opts.spawnProbe;
    const attempt = ++this.choosing;
    if (choice !== 'auto' || !spawn || config === undefined) {
      this.store.update((s) => ({ ...s, backend: { status: 'starting', choice } }));
      this.port.post({ type: 'init', backend: choice });
      return;
    }
    this.store.update((s) => ({ ...s, backend: { status: 'choosing', choice } }));
    const probes = await timeBackends(config, {
      spawn,
      onProgress: (probing, done) => {
        if (attempt === this.choosing) this.store.update((s) => ({ ...s, backend: { ...s.backend, probes: [...done], ...(probing ? { probing } : { probing: undefined }) } }));
      },
    });
    if (attempt !== this.choosing) return; // another choice was made meanwhile
    const { backend, reason } = chooseBackend(probes);
    this.store.update((s) => ({ ...s, backend: { status: 'starting', choice, probes, reason } }));
    this.port.post({ type: 'init', backend: backend ?? 'auto', chosen: backend !== undefined });
  }

  /** Asks for a memory prediction of a raw config, for the draft or for a run's chart. */
  predict(config: unknown, forRun?: string): void {
    const requestId = ++this.requestId;
    this.store.predictionFor.set(requestId, forRun ?? 'draft');
    this.port.post({ type: 'predict', requestId, config, files: filesFor(config) });
  }

  /** The edited config is invalid: no prediction (and later answers for older configs are dropped). */
  clearPrediction(): void {
    const requestId = ++this.requestId;
    this.store.update((s) => ({ ...s, prediction: { requestId, value: null } }));
  }

  /**
   * After a lost device or an out-of-memory error: sets up `backend` (wasm: "Continue on another
   * backend"; webgpu: "Retry on WebGPU", a new device) and goes on from the run's last checkpoint.
   */
  recover(runId: string, backend: 'wasm' | 'webgpu'): void {
    this.store.update((s) => ({ ...s, error: undefined }));
    this.recovering = runId;
    void this.init(backend);
  }

  /** Frees the WebGPU pool's spare buffers (the lab's `torch.cuda.empty_cache`). */
  releaseCachedMemory(): void {
    this.port.post({ type: 'releaseCachedMemory' });
  }

  start(config: unknown): string {
    const runId = newRunId();
    this.store.update((s) => ({ ...s, error: undefined, notice: undefined }));
    this.shelf.keepSingle(runId);
    this.port.post({ type: 'start', runId, config, holdFirst: true, keep: true, files: filesFor(config) });
    return runId;
  }

  pause(): void {
    const run = this.store.getState().run;
    if (run) this.port.post({ type: 'pause', runId: run.id });
  }

  resume(steps?: number): void {
    const run = this.store.getState().run;
    if (run) this.port.post({ type: 'resume', runId: run.id, ...(steps !== undefined ? { steps } : {}) });
  }

  stop(): void {
    const run = this.store.getState().run;
    if (run) this.port.post({ type: 'stop', runId: run.id });
  }

  evaluate(): void {
    const run = this.store.getState().run;
    if (run) this.port.post({ type: 'evaluate', runId: run.id });
  }

  exportWeights(): void {
    const run = this.store.getState().run;
    if (!run) return;
    const requestId = ++this.requestId;
    this.exports.set(requestId, run.id);
    this.port.post({ type: 'export', runId: run.id, requestId });
  }

  /** Weights JSON text to evaluate and continue; the page's config fills in what the file lacks. */
  importWeights(text: string, pageConfig: unknown): string {
    const runId = newRunId();
    this.store.update((s) => ({ ...s, notice: undefined }));
    this.shelf.keepSingle(runId);
    this.port.post({ type: 'importWeights', runId, text, config: pageConfig, keep: true, files: filesFor(pageConfig) });
    return runId;
  }

  /** Greedy output and attention maps of the current run's weights for one input (the try-it panel). */
  inspect(input: number[]): void {
    const run = this.store.getState().run;
    if (!run) return;
    const requestId = ++this.requestId;
    this.store.update((s) => ({ ...s, inspection: { requestId, runId: run.id } }));
    this.port.post({ type: 'inspect', runId: run.id, requestId, input });
  }

  /** A forecaster's forecast for one window of a split, with the truth and its attention maps (the forecast panel). */
  inspectWindow(split: 'val' | 'test', index: number): void {
    const run = this.store.getState().run;
    if (!run) return;
    const requestId = ++this.requestId;
    // The window shown stays until the next one arrives (scrubbing keeps its range).
    this.store.update((s) => ({ ...s, forecastWindow: { requestId, runId: run.id, pending: true, value: s.forecastWindow?.runId === run.id ? s.forecastWindow.value : undefined } }));
    this.port.post({ type: 'inspectWindow', runId: run.id, requestId, split, index });
  }

  /**
   * A dropped or pasted text for configs to name as `task.file: name`: the worker decodes and
   * checks it (the store then holds its facts, or what is wrong with it). An accepted text is kept
   * across reloads.
   */
  addText(name: string, bytes: ArrayBuffer): void {
    this.files.textSent(name, this.sendText(name, bytes), bytes);
  }

  private sendText(name: string, bytes: ArrayBuffer): number {
    const requestId = ++this.requestId;
    this.store.update((s) => ({ ...s, texts: new Map(s.texts).set(name, { requestId }) }));
    this.port.post({ type: 'addText', requestId, name, bytes });
    return requestId;
  }

  /** A dropped CSV for forecast configs to name as `task.csv: name`, kept across reloads. */
  addCsv(name: string, text: string): void {
    this.files.addCsv(name, text);
  }

  /** A continuation of `prompt` by the current text run's weights, streamed into the store (the sampler). */
  sample(prompt: string, options: SampleOptions): void {
    const run = this.store.getState().run;
    if (!run) return;
    const requestId = ++this.requestId;
    this.store.update((s) => ({ ...s, sampling: { requestId, runId: run.id, prompt, text: '', done: false } }));
    this.port.post({ type: 'sample', runId: run.id, requestId, prompt, options });
  }

  /** Saves text as a file (comparison exports, chart images). */
  save(filename: string, text: string | Blob, mime = 'application/json'): void {
    this.download(filename, text, mime);
  }

  exportMetrics(): void {
    const run = this.store.getState().run;
    if (run) this.download(`${this.baseName()}.metrics.csv`, metricsCsv(run.metrics), 'text/csv');
  }

  exportConfig(config: unknown): void {
    this.download(`${this.baseName(config)}.config.json`, `${JSON.stringify(config, null, 2)}\n`, 'application/json');
  }

  private baseName(config?: unknown): string {
    const run = this.store.getState().run;
    const task = (config as { task?: { name?: unknown } } | undefined)?.task?.name ?? run?.config.task.name ?? 'run';
    return `transformer-lab-${String(task)}`;
  }
}
