/**
 * What went wrong, in words a user can act on: every failure becomes an error event of one
 * kind (config, oom, device-lost, diverged, other) with the engine's message and a suggestion.
 */
import type { LabRunConfig } from '../engine/runConfig';
import { DivergedError } from '../engine/train/events';
import { ConfigError, type FieldIssue } from '../engine/validation';
import type { ErrorKind } from './protocol';
import { precisionPolicy } from '../engine/precision/policy';

export interface Classified {
  kind: ErrorKind;
  message: string;
  suggestion: string;
  issues?: FieldIssue[];
}

/** A failure the backend reported by itself (a lost device, an uncaptured out-of-memory error). */
export class BackendFailure extends Error {
  constructor(readonly kind: 'oom' | 'device-lost', message: string) {
    super(message);
    this.name = 'BackendFailure';
  }
}

const OOM = /out of memory|\bOOM\b|allocation failed|failed to allocate|cannot enlarge memory|memory\.grow|maximum memory size|createBuffer.*(too large|exceeds)|exceeds the (max|maximum)/i;
const LOST = /device (was )?lost|device is lost|GPUDevice.*destroyed|context lost|CONTEXT_LOST/i;

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

type Peak = (run: LabRunConfig) => number | undefined;

export const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;

/**
 * The memory toggles that are not on yet, each with its predicted peak when a predictor is at
 * hand, most saving first: what a user should flip after running out of memory.
 */
export function memoryToggles(run: LabRunConfig, peak?: Peak): string[] {
  const t = run.train;
  const options: { label: string; run: LabRunConfig }[] = [];
  const withTrain = (patch: Partial<LabRunConfig['train']>): LabRunConfig => ({ ...run, train: { ...t, ...patch } });
  if (t.precision === 'fp32') options.push({ label: 'fp16 autocast (precision fp16)', run: withTrain({ precision: 'fp16' }) });
  // Under fp16 / bf16 'none' already recomputes every layer (precision/policy.ts).
  if (precisionPolicy(t).segmentSize === 0) options.push({ label: 'checkpointing every layer', run: withTrain({ checkpointing: 'layers' }) });
  const k = t.gradAccumSteps * 2;
  if (t.batchSize % k === 0) options.push({ label: `gradient accumulation over ${k} micro-batches (same effective batch)`, run: withTrain({ gradAccumSteps: k }) });
  if (t.batchSize >= 2 && (t.batchSize / 2) % t.gradAccumSteps === 0) {
    options.push({ label: `a smaller batch (${t.batchSize / 2})`, run: withTrain({ batchSize: t.batchSize / 2 }) });
  }
  if (t.optimizer.name !== 'sgd') {
    options.push({ label: 'SGD with momentum (one optimizer slot instead of Adam-style two)', run: withTrain({ optimizer: { name: 'sgd', lr: t.optimizer.lr, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 } }) });
  }
  const base = peak?.(run);
  const rated = options.map((o) => ({ ...o, bytes: peak?.(o.run) }));
  rated.sort((a, b) => (a.bytes ?? Infinity) - (b.bytes ?? Infinity));
  return rated.map((o) => {
    if (o.bytes === undefined || base === undefined || base <= 0) return o.label;
    const change = Math.round((1 - o.bytes / base) * 100);
    return `${o.label}: predicted peak ${MiB(o.bytes)} (${change >= 0 ? '−' : '+'}${Math.abs(change)}%)`;
  });
}

export function classify(e: unknown, run?: LabRunConfig, peak?: (run: LabRunConfig) => number | undefined, lastGoodStep?: number): Classified {
  const keep = lastGoodStep === undefined
    ? ''
    : ` The weights of step ${lastGoodStep} are kept: export them, reload, and import them to continue.`;
  if (e instanceof ConfigError) {
    return { kind: 'config', message: e.message, suggestion: 'Fix the fields named above; nothing else was changed.', issues: e.issues };
  }
  if (e instanceof DivergedError) {
    const lr = run ? ` (now ${run.train.optimizer.lr})` : '';
    const clip = run && run.train.clipGradNorm === null ? ', turn on gradient clipping (clipGradNorm 1)' : '';
    const warm = run && run.train.schedule.warmupSteps === 0 ? ', or add warm-up steps' : '';
    return { kind: 'diverged', message: e.message, suggestion: `Lower the learning rate${lr}${clip}${warm}.${keep}` };
  }
  const message = messageOf(e);
  const kind: ErrorKind = e instanceof BackendFailure ? e.kind : LOST.test(message) ? 'device-lost' : OOM.test(message) ? 'oom' : 'other';
  if (kind === 'oom') {
    const toggles = run ? memoryToggles(run, peak) : [];
    const list = toggles.length ? ` Settings that need less memory: ${toggles.join('; ')}.` : ' Use a smaller model or batch.';
    const resume = lastGoodStep === undefined ? '' : ` The weights of step ${lastGoodStep} are kept: continue from there on another backend or on WebGPU, or export them.`;
    return { kind, message: `Out of memory: ${message}`, suggestion: `${list.trim()}${resume}` };
  }
  if (kind === 'device-lost') {
    const resume = lastGoodStep === undefined
      ? ' Continue on another backend or retry on WebGPU: the run starts again from its seed.'
      : ` The weights of step ${lastGoodStep} are kept: continue on another backend or retry on WebGPU from there, or export them.`;
    return { kind, message: /^the GPU device was lost/i.test(message) ? sentence(message) : `The GPU device was lost: ${message}`, suggestion: `The GPU was reset (a driver update, a crash, or too much memory).${resume}` };
  }
  return { kind, message, suggestion: `This looks like a bug in the lab; the console of the worker has details.${keep}` };
}
