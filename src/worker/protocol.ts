/**
 * The typed message protocol between the page and the training worker. Commands go in,
 * events come out; every event names the run it belongs to (`runId`, or null for events about
 * the worker itself: the backend and memory predictions). The page drops events of runs it no
 * longer shows, so a late event of a stopped run never lands on the next one's charts.
 *
 * Metrics travel in small batches (a few a second, columns of every step since the last), never
 * one message per step; checkpoints never travel to the page at all: the worker writes them to
 * IndexedDB itself (storage.ts) and says which step is saved.
 *
 * Types only (plus a few small guards): the page imports this file without pulling in TF.js.
 */
import type { LabRunConfig } from '../engine/runConfig';
import type { SampleOptions } from '../engine/eval/sample';
import type { TextFacts } from '../tasks/text/source';
import type { Inspection } from '../engine/eval/inspect';
import type { ForecastInspection } from '../engine/eval/forecastInspect';
import type { FieldIssue } from '../engine/validation';
import type { MetricsData } from './metricsData';

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
  /** Offloaded runs: the segment boundaries waiting in host memory (not device memory, not in `peak`). */
  host?: number;
}

export const MEMORY_CATEGORIES = ['parameters', 'gradients', 'optimizerState', 'savedActivations', 'halfCopies', 'other'] as const;
export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];

/** A prediction from the config alone. `partial`: only what follows from the parameter count. */
export interface MemoryPrediction {
  parameterCount: number;
  /** `host`: offloaded boundaries in host memory, outside the device's `peak`. */
  bytes: Partial<Record<MemoryCategory | 'peak' | 'host', number>>;
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
  /** The adapter is a software rasteriser (SwiftShader, llvmpipe, WARP): WebGPU runs on the CPU. */
  software?: boolean;
  attempts: BackendAttempt[];
  /** The WebGPU adapter: the one in use, or (another backend training) the one the browser offers. */
  adapter?: AdapterReport;
  /** The page is cross-origin isolated (SharedArrayBuffer, wasm threads). */
  isolated: boolean;
  /** The wasm backend: SIMD, and XNNPACK's threads (1 without the threaded build). */
  wasm?: { simd: boolean; threads: number };
}

// ---- commands (page → worker) -----------------------------------------------------------

/** CSV files dropped on the page, by the name a forecast task's `csv` gives them. */
export type SeriesFiles = Record<string, string>;

export type Command =
  /** Initialise (or switch) the backend; answered by `ready` or an error with runId null. */
  | { type: 'init'; backend: BackendChoice; chosen?: boolean }
  /** Memory prediction for a config; answered by `prediction` with the same requestId. */
  | { type: 'predict'; requestId: number; config: unknown; files?: SeriesFiles }
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
  /**
   * A kept run goes on from the checkpoint the worker stored for it (IndexedDB), up to `resumeTo`;
   * from the start with `config` when none is stored. The checkpoint never passes through the page.
   */
  | { type: 'resumeKept'; runId: string; config: unknown; resumeTo: number; activeMs?: number; files?: SeriesFiles }
  /**
   * Times one small step of `config` on exactly this backend (no fallback), in a worker of its
   * own that the page ends when it has heard enough: answered by `probed` events.
   */
  | { type: 'probe'; backend: BackendName; config: unknown; files?: SeriesFiles }
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
  | { type: 'sample'; runId: string; requestId: number; prompt: string; options: SampleOptions }
  /**
   * Frees the spare buffers of the WebGPU pool (the lab's `torch.cuda.empty_cache`; nothing to
   * free elsewhere): answered by `memoryNow`. Lands between steps.
   */
  | { type: 'releaseCachedMemory' }
  /** The backend's live tensors and bytes now, between steps: answered by `memoryNow` (a leak check's reading). */
  | { type: 'measureMemory' }
  /**
   * TEST ONLY (the browser suite's lost-device test; the page never sends it): destroys the
   * WebGPU device under the running run, as a driver reset would.
   */
  | { type: 'testOnlyDestroyDevice' };

// ---- events (worker → page) -------------------------------------------------------------

export type WorkerEvent =
  | ({ type: 'ready'; runId: null } & ReadyInfo)
  | { type: 'prediction'; runId: null; requestId: number; prediction: MemoryPrediction | null; message?: string }
  /** A run exists: its normalised config, where it starts and where it stops. */
  | { type: 'started'; runId: string; config: LabRunConfig; parameterCount: number; startStep: number; targetSteps: number; imported: boolean; note?: string }
  | { type: 'state'; runId: string; state: RunState; step: number; targetSteps: number; message?: string }
  /** What the run is doing now; sent when it changes, and with every metrics batch. */
  | { type: 'progress'; runId: string; step: number; targetSteps: number; phase: 'training' | 'evaluating' | 'exporting'; activeMs: number }
  /** Every step, evaluation and memory figure since the last batch (a few batches a second). */
  | { type: 'metrics'; runId: string; data: MetricsData }
  /** The run is between steps and waits for `release` (answers `hold`). */
  | { type: 'held'; runId: string; step: number }
  | { type: 'exported'; runId: string; requestId: number; text: string; step: number; fromSnapshot: boolean }
  /**
   * A kept run's last good weights (optimizer and scaler state included) are saved at this step:
   * at every finite evaluation and when it pauses, stops or ends, written by the worker to
   * IndexedDB (when it has one) before this is sent.
   */
  | { type: 'checkpoint'; runId: string; step: number }
  /** A probe's progress: set up (with the adapter), warmed up, timed; or failed with the reason. */
  | { type: 'probed'; runId: null; backend: BackendName; phase: 'ready' | 'warm' | 'timed' | 'failed'; ms?: number; reason?: string; adapter?: AdapterReport; software?: boolean }
  /** Something the user should know that stops nothing (a write to the browser's storage failed). */
  | { type: 'warning'; runId: string | null; message: string }
  | { type: 'inspected'; runId: string; requestId: number; inspection: Inspection }
  | { type: 'inspectedWindow'; runId: string; requestId: number; inspection: ForecastInspection }
  /**
   * The backend's memory now (answers `measureMemory` and `releaseCachedMemory`): live tensors and
   * their bytes, bytes in use, and on WebGPU every byte its pool holds and what the release freed.
   */
  | { type: 'memoryNow'; runId: null; liveTensors: number; liveBytes: number; inUse: number; allocated?: number; releasedBytes?: number }
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

const COMMANDS = new Set<Command['type']>(['init', 'predict', 'start', 'pause', 'resume', 'stop', 'evaluate', 'export', 'importWeights', 'resumeKept', 'probe', 'inspect', 'inspectWindow', 'hold', 'release', 'addText', 'sample', 'releaseCachedMemory', 'measureMemory', 'testOnlyDestroyDevice']);

/** Whether a message is a command of this protocol (the worker ignores anything else). */
export function isCommand(m: unknown): m is Command {
  return m !== null && typeof m === 'object' && COMMANDS.has((m as { type?: unknown }).type as Command['type']);
}

export const isBackendName = (v: unknown): v is BackendName => (BACKEND_ORDER as readonly unknown[]).includes(v);

export const isBackendChoice = (v: unknown): v is BackendChoice => v === 'auto' || isBackendName(v);
