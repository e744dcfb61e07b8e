/**
 * The page's state, fed by worker events. Metric events (step, eval, memory, progress) are
 * queued and applied in one batch per flush (a timer, 100 ms by default), so a fast run costs one
 * render per flush however many steps arrived; control events (state, errors, exports) flush at
 * once so buttons answer immediately. Events of runs the page no longer shows are dropped.
 */
import type { LabRunConfig } from '../../engine/runConfig';
import { addTextFacts, type TextFacts } from '../../tasks/text/source';
import type { BackendChoice, ErrorKind, EventOf, MemoryPrediction, ReadyInfo, RunState, WorkerEvent } from '../../worker/protocol';
import { EMPTY_LIBRARY, replaceRun, type LibraryState } from './library';
import { RunMetrics } from './metrics';

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
  metrics: RunMetrics;
  predicted?: MemoryPrediction | null;
  /** The worker holds a live model (it can evaluate, continue and export the current weights). */
  live: boolean;
  lastGoodStep?: number;
}

export interface LabState {
  backend: { status: 'starting' | 'ready' | 'error'; choice: BackendChoice; info?: ReadyInfo; error?: string };
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
  /** The text sampler's last request and the text streamed in so far. */
  sampling?: { requestId: number; runId: string; prompt: string; text: string; done: boolean; error?: string };
}

const BATCHED = new Set<WorkerEvent['type']>(['step', 'eval', 'memory', 'progress', 'tokenizing']);

export interface Scheduler {
  schedule(flush: () => void): void;
}

export const timerScheduler = (ms = 100): Scheduler => ({ schedule: (flush) => void setTimeout(flush, ms) });

export class LabStore {
  private state: LabState;
  private pending: WorkerEvent[] = [];
  private scheduled = false;
  private listeners = new Set<() => void>();
  /** Prediction requests by id: for the draft, or for a run (its memory chart's reference line). */
  readonly predictionFor = new Map<number, 'draft' | string>();

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

  receive(event: WorkerEvent): void {
    this.pending.push(event);
    if (!BATCHED.has(event.type)) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.scheduler.schedule(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    let s = this.state;
    for (const e of events) s = this.apply(s, e);
    this.state = s;
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
        return { ...s, run, backend: { status: 'ready', choice: s.backend.choice, info: e } };
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
        // A kept run goes on with its own metrics, from the step it starts at.
        const kept = s.library.runs.find((r) => r.id === e.runId);
        kept?.metrics.truncate(e.startStep);
        const run: RunView = {
          id: e.runId, config: e.config, parameterCount: e.parameterCount, startStep: e.startStep, targetSteps: e.targetSteps,
          imported: e.imported, ...(e.note ? { note: e.note } : {}), state: 'starting', step: e.startStep, phase: 'training',
          activeMs: 0, activeAt: this.now(), metrics: kept?.metrics ?? new RunMetrics(), live: true,
          ...(s.run?.id === e.runId ? { predicted: s.run.predicted } : {}),
        };
        const notice = kept && e.startStep > 0 ? `Resumed “${kept.name}” from step ${e.startStep}.`
          : e.imported ? `Imported weights at step ${e.startStep}${e.note ? ` (${e.note})` : ''}.` : undefined;
        return { ...s, run, error: undefined, notice, tokenizing: undefined };
      }
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
        return { ...s, run: { ...run, step: e.step, targetSteps: e.targetSteps, phase: e.phase, activeMs: e.activeMs, activeAt: this.now() } };
      case 'step':
        run.metrics.addStep(e.metrics);
        return { ...s, run: { ...run, step: Math.max(run.step, e.metrics.step + 1) } };
      case 'eval':
        run.metrics.addEval(e.metrics);
        return { ...s, run: { ...run } };
      case 'memory':
        run.metrics.addMemory(e.step, e.memory);
        return { ...s, run: { ...run } };
      case 'exported':
        return { ...s, notice: `Exported the weights of step ${e.step}${e.fromSnapshot ? ' (the last good weights)' : ''}.` };
      default:
        return s;
    }
  }
}
