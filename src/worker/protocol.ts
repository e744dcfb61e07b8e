/**
 * The typed message protocol between the page and the training worker. Commands go in,
 * events come out; every event names the run it belongs to (`runId`, or null for events about
 * the worker itself: the backend and memory predictions). The page drops events of runs it no
 * longer shows, so a late event of a stopped run never lands on the next one's charts.
 *
 * Types only (plus two small guards): the page imports this file without pulling in TF.js.
 */
import type { LabRunConfig } from '../engine/runConfig';
import type { SampleOptions } from '../engine/eval/sample';
import type { TextFacts } from '../tasks/text/source';
import type { EvalMetrics, StepMetrics } from '../engine/train/trainer';
import type { Inspection } from '../engine/eval/inspect';
import type { ForecastInspection } from '../engine/eval/forecastInspect';
import type { FieldIssue } from '../engine/validation';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
/** `auto` tries every backend in BACKEND_ORDER; a name starts the chain there. */
export type BackendChoice = 'auto' | BackendName;
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Bytes by category after a step (engine's accounting), plus the backend's own figures. The
 * category fields are absent when the engine reports no breakdown; the backend figures come
 * from tf.memory() (WebGPU: buffers in use and every buffer its pool holds).
 */
export interface MemoryBreakdown {
  parameters?: number;
  gradients?: number;
  optimizerState?: number;
  savedActivations?: number;
  halfCopies?: number;
  other?: number;
  /** The engine's peak within the step. */
  peak?: number;
  backendInUse: number;
  backendAllocated?: number;
}

export const MEMORY_CATEGORIES = ['parameters', 'gradients', 'optimizerState', 'savedActivations', 'halfCopies', 'other'] as const;
export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];

/** A prediction from the config alone. `partial`: only what follows from the parameter count. */
export interface MemoryPrediction {
  parameterCount: number;
  bytes: Partial<Record<MemoryCategory | 'peak', number>>;
  partial: boolean;
  note?: string;
}

export type RunState = 'starting' | 'running' | 'pausing' | 'paused' | 'stopping' | 'stopped' | 'done' | 'failed';

export type ErrorKind = 'config' | 'oom' | 'device-lost' | 'diverged' | 'other';

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it was skipped or failed; empty for the one that took. */
  reason?: string;
}

export interface AdapterReport {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  limits: Record<string, number>;
  features: string[];
}

export interface ReadyInfo {
  backend: BackendName;
  attempts: BackendAttempt[];
  adapter?: AdapterReport;
  /** The page is cross-origin isolated (SharedArrayBuffer, wasm threads). */
  isolated: boolean;
  wasm?: { simd: boolean; threads: boolean };
}

// ---- commands (page → worker) -----------------------------------------------------------

/** CSV files dropped on the page, by the name a forecast task's `csv` gives them. */
export type SeriesFiles = Record<string, string>;

export type Command =
  /** Initialise (or switch) the backend; answered by `ready` or an error with runId null. */
  | { type: 'init'; backend: BackendChoice }
  /** Memory prediction for a config; answered by `prediction` with the same requestId. */
  | { type: 'predict'; requestId: number; config: unknown }
  /**
   * A new run from a raw run config (validated by the engine), optionally from weights JSON text.
   * `holdFirst`: wait before the first step until the page releases (it draws the new run first).
   */
  | { type: 'start'; runId: string; config: unknown; init?: string; holdFirst?: boolean; keep?: boolean; files?: SeriesFiles }
  | { type: 'pause'; runId: string }
  /** Continue a paused (or finished) run, optionally up to a new step count. */
  | { type: 'resume'; runId: string; steps?: number }
  | { type: 'stop'; runId: string }
  /** Held-out evaluation of the run's current weights. */
  | { type: 'evaluate'; runId: string }
  /** The run's weights JSON; answered by `exported`. */
  | { type: 'export'; runId: string; requestId: number }
  /**
   * Weights JSON text to evaluate and continue: becomes run `runId`, paused at the file's step.
   * The file's own run config (`training.run`) wins; otherwise `config` with the file's model.
   * `resumeTo`: continue training at once, up to this step (a kept run resuming after a reload).
   */
  | { type: 'importWeights'; runId: string; text: string; config: unknown; keep?: boolean; resumeTo?: number; files?: SeriesFiles }
  /** Greedy output and attention maps of the run's current weights for one input; answered by `inspected`. */
  | { type: 'inspect'; runId: string; requestId: number; input: number[] }
  /** A forecaster's forecast for one window of a split, with the truth and its attention maps; answered by `inspectedWindow`. */
  | { type: 'inspectWindow'; runId: string; requestId: number; split: 'val' | 'test'; index: number }
  /**
   * A quiet device while the page draws: the worker stops at the next step boundary, says
   * `held`, and waits for `release` (or a few seconds at most). See src/ui/charts/drawQueue.ts.
   */
  | { type: 'hold'; runId: string }
  | { type: 'release'; runId: string }
  /**
   * A dropped or pasted text (UTF-8 bytes) that configs may then name as `task.file: name`;
   * answered by `textAdded` with its facts, or with the message of what is wrong with it.
   */
  | { type: 'addText'; requestId: number; name: string; bytes: ArrayBuffer }
  /** A text run's continuation of `prompt`, streamed back as `sampled` events. */
  | { type: 'sample'; runId: string; requestId: number; prompt: string; options: SampleOptions };

// ---- events (worker → page) -------------------------------------------------------------

export type WorkerEvent =
  | ({ type: 'ready'; runId: null } & ReadyInfo)
  | { type: 'prediction'; runId: null; requestId: number; prediction: MemoryPrediction | null; message?: string }
  /** A run exists: its normalised config, where it starts and where it stops. */
  | { type: 'started'; runId: string; config: LabRunConfig; parameterCount: number; startStep: number; targetSteps: number; imported: boolean; note?: string }
  | { type: 'state'; runId: string; state: RunState; step: number; targetSteps: number; message?: string }
  | { type: 'progress'; runId: string; step: number; targetSteps: number; phase: 'training' | 'evaluating' | 'exporting'; activeMs: number }
  | { type: 'step'; runId: string; metrics: StepMetrics }
  /** The run is between steps and waits for `release` (answers `hold`). */
  | { type: 'held'; runId: string; step: number }
  /**
   * One evaluation line: `loss` and the task's metrics (src/tasks/metrics.ts), with what the task
   * adds to each evaluation (a text run's sample, a forecast's evaluation memory). What the model
   * makes of one input is asked for apart: `inspect` (an answer), `inspectWindow` (a forecast),
   * `sample` (a continuation).
   */
  | { type: 'eval'; runId: string; metrics: EvalMetrics }
  | { type: 'memory'; runId: string; step: number; memory: MemoryBreakdown }
  | { type: 'exported'; runId: string; requestId: number; text: string; step: number; fromSnapshot: boolean }
  /**
   * The run's last good weights as weights JSON (optimizer and scaler state included), sent at
   * the start, at every finite evaluation and when it pauses, stops or ends, for runs started
   * with `keep`: the page stores them so the run resumes from here after a reload.
   */
  | { type: 'checkpoint'; runId: string; step: number; text: string }
  | { type: 'inspected'; runId: string; requestId: number; inspection: Inspection }
  | { type: 'inspectedWindow'; runId: string; requestId: number; inspection: ForecastInspection }
  | { type: 'textAdded'; runId: null; requestId: number; name: string; facts?: TextFacts; message?: string }
  /** Tokenizing a text run's text (learning bpe merges) before it starts: `done` of `total` merges. */
  | { type: 'tokenizing'; runId: string; done: number; total: number }
  /** The next piece of a sample's text; `done` on the last (with `message` when it failed). */
  | { type: 'sampled'; runId: string; requestId: number; text: string; done: boolean; message?: string }
  | {
      type: 'error';
      runId: string | null;
      kind: ErrorKind;
      message: string;
      suggestion: string;
      issues?: FieldIssue[];
      /** True when the run it names cannot go on (the last good weights stay exportable). */
      fatal: boolean;
      /** The step of the last good weights kept for export, when there are any. */
      lastGoodStep?: number;
    };

export type EventOf<T extends WorkerEvent['type']> = Extract<WorkerEvent, { type: T }>;

const COMMANDS = new Set<Command['type']>(['init', 'predict', 'start', 'pause', 'resume', 'stop', 'evaluate', 'export', 'importWeights', 'inspect', 'inspectWindow', 'hold', 'release', 'addText', 'sample']);

/** Whether a message is a command of this protocol (the worker ignores anything else). */
export function isCommand(m: unknown): m is Command {
  return m !== null && typeof m === 'object' && COMMANDS.has((m as { type?: unknown }).type as Command['type']);
}

export const isBackendChoice = (v: unknown): v is BackendChoice =>
  v === 'auto' || (BACKEND_ORDER as readonly unknown[]).includes(v);
