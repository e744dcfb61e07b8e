/**
 * The page's state, fed by worker events. A message handler only queues its event: metrics
 * batches and progress are applied together on a timer (100 ms by default), control events
 * (state, errors, exports) in a task of their own right after, so a handler stays well under a
 * frame and the render happens outside it. Metrics land in their run's one RunMetrics (the
 * MetricsBook) whichever view shows it; other events of runs the page no longer shows are dropped.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import { addTextFacts, type TextFacts } from '../../tasks/text/source';
import type { ProbeOutcome } from '../../worker/choose';
import type { BackendChoice, BackendName, ErrorKind, EventOf, MemoryPrediction, ReadyInfo, RunState, WorkerEvent } from '../../worker/protocol';
import type { KeptStatus } from '../storage/records';
import { EMPTY_LIBRARY, replaceRun, type LibraryState } from './library';
import { MetricsBook, type RunMetrics } from './metrics';

export interface ErrorView {
  runId: string | null;
  kind: ErrorKind;
  message: string;
  suggestion: string;
  fatal: boolean;
  lastGoodStep?: number;
}

export interface RunView {
  id: string;
  config: LabRunConfig;
  parameterCount: number;
  startStep: number;
  targetSteps: number;
  imported: boolean;
  note?: string;
  state: RunState;
  step: number;
  phase: 'training' | 'evaluating' | 'exporting';
  /** Training time so far (pauses excluded), as of `activeAt` (page clock). */
  activeMs: number;
  activeAt: number;
  /** Where this session's pace is measured from: the first progress report after it started. */
  paceFrom?: { step: number; activeMs: number };
  /** The run's one RunMetrics (store.metrics.of(id)). */
  metrics: RunMetrics;
  predicted?: MemoryPrediction | null;
  /** The worker holds a live model (it can evaluate, continue and export the current weights). */
  live: boolean;
  lastGoodStep?: number;
  /** Shown from storage after a reload: how it was left, and the step it can resume from. */
  restored?: { status: KeptStatus; checkpointStep?: number; name: string };
}

export interface BackendState {
  /** `choosing`: timing a step on each backend (choose.ts); `starting`: the worker sets the choice up. */
  status: 'choosing' | 'starting' | 'ready' | 'error';
  choice: BackendChoice;
  info?: ReadyInfo;
  error?: string;
  /** The timings behind an automatic choice, and why it fell where it did. */
  probes?: ProbeOutcome[];
  reason?: string;
  /** The backend being timed now. */
  probing?: BackendName;
}

export interface LabState {
  backend: BackendState;
  run?: RunView;
  /** Prediction for the config being edited (null value: the config is invalid). */
  prediction?: { requestId: number; value: MemoryPrediction | null; message?: string };
  error?: ErrorView;
  notice?: string;
  /** Every kept run and comparison (IndexedDB), see library.ts. */
  library: LibraryState;
  /** The answer to the try-it panel's last request. */
  inspection?: { requestId: number; runId: string; value?: EventOf<'inspected'>['inspection']; error?: string };
  /** The forecast panel's last window (a forecaster's run). */
  forecastWindow?: { requestId: number; runId: string; pending: boolean; value?: EventOf<'inspectedWindow'>['inspection']; error?: string };
  /** Texts dropped or pasted on the page, by name: their facts once the worker checked them, or what is wrong. */
  texts: ReadonlyMap<string, { requestId: number; facts?: TextFacts; message?: string }>;
  /** A text run's tokenizer being learned before it starts. */
  tokenizing?: { runId: string; done: number; total: number };
  /** The WebGPU pool after the last "Release cached GPU memory" (cleared when a run starts). */
  pool?: { releasedBytes: number; inUse: number; allocated: number };
  /** The text sampler's last request and the text streamed in so far. */
  sampling?: { requestId: number; runId: string; prompt: string; text: string; done: boolean; error?: string };
}

const BATCHED = new Set<WorkerEvent['type']>(['metrics', 'progress', 'tokenizing']);

export interface Scheduler {
  /** Metric events: a flush a little later, for all that arrive meanwhile. */
  later(flush: () => void): void;
  /** Control events: a flush in a task of its own, right away. */
  soon(flush: () => void): void;
}

/**
 * A flush and the render it causes (React renders in a microtask queued during the flush), as a
 * user-timing entry: what a long-task report can be read against.
 */
function measured(flush: () => void): () => void {
  return () => {
    const start = performance.now();
    flush();
    queueMicrotask(() => performance.measure('store update', { start, end: performance.now() }));
  };
}

export const timerScheduler = (ms = 100): Scheduler => ({ later: (flush) => void setTimeout(measured(flush), ms), soon: (flush) => void setTimeout(measured(flush), 0) });

export class LabStore {
  private state: LabState;
  private pending: WorkerEvent[] = [];
  private scheduledLater = false;
  private scheduledSoon = false;
  private listeners = new Set<() => void>();
  private appliedHooks: ((e: WorkerEvent) => void)[] = [];
  /** Prediction requests by id: for the draft, or for a run (its memory chart's reference line). */
  readonly predictionFor = new Map<number, 'draft' | string>();
  /** Every run's metrics, one object per run id. */
  readonly metrics = new MetricsBook();

  constructor(choice: BackendChoice, private readonly scheduler: Scheduler = timerScheduler(), private readonly now = () => performance.now()) {
    this.state = { backend: { status: 'starting', choice }, library: EMPTY_LIBRARY, texts: new Map() };
  }

  getState = (): LabState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Changes made by the page itself (not by the worker), applied at once. */
  update(f: (s: LabState) => LabState): void {
    this.state = f(this.state);
    this.emit();
  }

  /** Queues a worker event; nothing is applied or drawn inside the message handler. */
  receive(event: WorkerEvent): void {
    this.pending.push(event);
    if (!BATCHED.has(event.type)) {
      if (this.scheduledSoon) return;
      this.scheduledSoon = true;
      this.scheduler.soon(() => {
        this.scheduledSoon = false;
        this.flush();
      });
    } else if (!this.scheduledLater) {
      this.scheduledLater = true;
      this.scheduler.later(() => {
        this.scheduledLater = false;
        this.flush();
      });
    }
  }

  /** Runs `hook` for each event once the store has applied it (the shelf, downloads, the draw gate). */
  onApplied(hook: (e: WorkerEvent) => void): void {
    this.appliedHooks.push(hook);
  }

  /** Applies every queued event, in order, then hands each to the hooks; one render. */
  flush(): void {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    let s = this.state;
    for (const e of events) s = this.apply(s, e);
    this.state = s;
    for (const e of events) for (const hook of this.appliedHooks) hook(e);
    this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  private apply(s: LabState, e: WorkerEvent): LabState {
    switch (e.type) {
      case 'ready': {
        // A new backend leaves the previous run without a live model (its last good weights stay exportable).
        const run = s.run && s.backend.info ? { ...s.run, live: false } : s.run;
        return { ...s, run, backend: { ...s.backend, status: 'ready', info: e, probing: undefined } };
      }
      case 'prediction': {
        const target = this.predictionFor.get(e.requestId);
        this.predictionFor.delete(e.requestId);
        if (target === 'draft') {
          if (s.prediction && s.prediction.requestId > e.requestId) return s; // an older answer
          return { ...s, prediction: { requestId: e.requestId, value: e.prediction, ...(e.message ? { message: e.message } : {}) } };
        }
        const peak = e.prediction?.bytes.peak;
        const library = peak !== undefined && s.library.runs.some((r) => r.id === target) ? replaceRun(s.library, target!, (r) => ({ ...r, predictedPeak: peak })) : s.library;
        return s.run && s.run.id === target ? { ...s, library, run: { ...s.run, predicted: e.prediction } } : { ...s, library };
      }
      case 'started': {
        // The run goes on with its own metrics (kept or not), from the step it starts at.
        const metrics = this.metrics.of(e.runId);
        metrics.truncate(e.startStep);
        const kept = s.library.runs.find((r) => r.id === e.runId);
        const run: RunView = {
          id: e.runId, config: e.config, parameterCount: e.parameterCount, startStep: e.startStep, targetSteps: e.targetSteps,
          imported: e.imported, ...(e.note ? { note: e.note } : {}), state: 'starting', step: e.startStep, phase: 'training',
          activeMs: 0, activeAt: this.now(), metrics, live: true,
          ...(s.run?.id === e.runId && s.run.predicted !== undefined ? { predicted: s.run.predicted } : {}),
        };
        const notice = kept && e.startStep > 0 ? `Resumed “${kept.name}” from step ${e.startStep}.`
          : e.imported ? `Imported weights at step ${e.startStep}${e.note ? ` (${e.note})` : ''}.` : undefined;
        return { ...s, run, error: undefined, notice, tokenizing: undefined, pool: undefined };
      }
      case 'memoryNow':
        // Only a release changes what the memory card shows (a bare reading is a leak check's).
        return e.releasedBytes === undefined || e.allocated === undefined ? s : { ...s, pool: { releasedBytes: e.releasedBytes, inUse: e.inUse, allocated: e.allocated } };
      case 'metrics':
        this.metrics.of(e.runId).append(e.data);
        return s.run?.id === e.runId ? { ...s, run: { ...s.run } } : s;
      case 'inspected':
        return s.inspection?.requestId === e.requestId ? { ...s, inspection: { ...s.inspection, value: e.inspection } } : s;
      case 'inspectedWindow':
        return s.forecastWindow?.requestId === e.requestId ? { ...s, forecastWindow: { ...s.forecastWindow, pending: false, value: e.inspection, error: undefined } } : s;
      case 'textAdded': {
        if (s.texts.get(e.name)?.requestId !== e.requestId) return s; // a later drop of the same name
        // The facts let the config panel check configs that name this text, as the worker will.
        if (e.facts) addTextFacts({ file: e.name }, e.facts);
        return { ...s, texts: new Map(s.texts).set(e.name, { requestId: e.requestId, ...(e.facts ? { facts: e.facts } : {}), ...(e.message ? { message: e.message } : {}) }) };
      }
      case 'tokenizing':
        return { ...s, tokenizing: e.done < e.total ? { runId: e.runId, done: e.done, total: e.total } : undefined };
      case 'sampled': {
        const sampling = s.sampling;
        if (!sampling || sampling.requestId !== e.requestId) return s;
        return { ...s, sampling: { ...sampling, text: sampling.text + e.text, done: e.done, ...(e.message ? { error: e.message } : {}) } };
      }
      case 'warning':
        return { ...s, notice: e.message };
      case 'error': {
        const view: ErrorView = { runId: e.runId, kind: e.kind, message: e.message, suggestion: e.suggestion, fatal: e.fatal, ...(e.lastGoodStep !== undefined ? { lastGoodStep: e.lastGoodStep } : {}) };
        if (e.runId === null && s.backend.status === 'starting') return { ...s, backend: { ...s.backend, status: 'error', error: e.message }, error: view };
        const run = s.run && s.run.id === e.runId && e.fatal
          ? { ...s.run, live: false, ...(e.lastGoodStep !== undefined ? { lastGoodStep: e.lastGoodStep } : {}) }
          : s.run;
        const inspection = s.inspection && !s.inspection.value && !s.inspection.error && e.runId === s.inspection.runId ? { ...s.inspection, error: e.message } : s.inspection;
        const w = s.forecastWindow;
        const forecastWindow = w && w.pending && e.runId === w.runId ? { ...w, pending: false, error: e.message } : w;
        const tokenizing = s.tokenizing?.runId === e.runId ? undefined : s.tokenizing;
        return { ...s, run, error: view, inspection, forecastWindow, tokenizing };
      }
      default:
        break;
    }
    const run = s.run;
    if (!run || e.runId !== run.id) return s; // a run the page no longer shows
    switch (e.type) {
      case 'state': {
        const running = e.state === 'running';
        return { ...s, run: { ...run, state: e.state, step: e.step, targetSteps: e.targetSteps, live: run.live && e.state !== 'failed', ...(running ? { activeAt: this.now() } : {}) } };
      }
      case 'progress':
        return { ...s, run: { ...run, step: e.step, targetSteps: e.targetSteps, phase: e.phase, activeMs: e.activeMs, activeAt: this.now(), paceFrom: run.paceFrom ?? { step: e.step, activeMs: e.activeMs } } };
      case 'exported':
        return { ...s, notice: `Exported the weights of step ${e.step}${e.fromSnapshot ? ' (the last good weights)' : ''}.` };
      default:
        return s;
    }
  }
}
