/**
 * The engine-driving side of the worker, free of worker globals so that it runs (and is tested)
 * in Node: it takes commands, drives one Trainer at a time, and posts events through `post`.
 *
 * - Steps run one at a time through a serial chain; between steps the training loop (loop.ts)
 *   yields to the event loop, so pause, stop and export commands are handled at the next step
 *   boundary.
 * - Steps are queued on the device and read back together every `train.readbackEvery` steps
 *   (losses, norms and scales in one asynchronous read), and before every evaluation, pause,
 *   stop, export and hold: the trainer's read-back window.
 * - Metrics leave in batches (recorder.ts): a few small messages a second to the page and, for
 *   kept runs, a write to IndexedDB about once a second; checkpoints go to IndexedDB only.
 * - While the page draws its charts it may ask for a hold: the run waits at the next step
 *   boundary until released (hold.ts), so drawing never competes with a device that is the CPU.
 * - The last good weights are kept as a plain document (at the start, at every evaluation, at
 *   pause, stop and the end), so they stay exportable after divergence, OOM or a lost device;
 *   for a kept run they are also written to IndexedDB with the metrics up to them.
 */
import { parameterCountOf } from '../engine/modelKind';
import { Trainer } from '../engine/train/trainer';
import { classify, type BackendFailure } from './errors';
import { backendFailed, snapshotOf } from './failure';
import { Hold } from './hold';
import { predictedPeak, predictRaw } from './predict';
import type { BackendChoice, Command, ReadyInfo, RunState, WorkerEvent } from './protocol';
import { Recorder, type RunStore } from './recorder';
import { evaluate, readBack, setPhase, settle, snapshot, trainLoop, type LoopHost } from './loop';
import { activeMs, LIVE, memoryOf, release, weightsText, type Run } from './run';
import { prepareImport, prepareStart, type PreparedRun } from './runs';
import { TaskInputs } from './inputs';
import { addDroppedText } from './text';
import { tryModel } from './tryModel';
import { stringifyWeights } from '../engine/weights/stringify';
import { releaseCachedMemory, webgpuDevice } from '../engine/internals/webgpu';
import { memoryNow } from './memoryNow';

export interface SessionEnv {
  /** Sets up a backend (a chain of fallbacks in the browser); `fail` reports a later device loss or OOM. */
  initBackend(choice: BackendChoice, fail: (f: BackendFailure) => void, chosen?: boolean): Promise<ReadyInfo>;
  /** Lets queued commands run between steps; default a zero timeout. */
  yieldToEventLoop?(): Promise<void>;
  /** Where kept runs' metrics and checkpoints go (IndexedDB in the browser); none: nothing is stored. */
  store?: RunStore;
}

interface Begin {
  imported?: boolean;
  holdFirst?: boolean;
  keep?: boolean;
  /** Training time of earlier sessions (a kept run resumed after a reload). */
  activeMs?: number;
  /** Train to this step instead of the config's `steps`. */
  target?: number;
}

/** The later of two checkpoints (the stored one, the one in memory). */
function newest<C extends { step: number }>(a: C | undefined, b: C | undefined): C | undefined {
  return !a || (b && b.step > a.step) ? b : a;
}

export class Session {
  private current?: Run;
  private chain: Promise<unknown> = Promise.resolve();
  private backend?: Promise<ReadyInfo>;
  private readonly hold = new Hold();
  /** The CSV files and texts the page sent for its tasks. */
  private readonly inputs = new TaskInputs();
  /** What the training loop (loop.ts) and failure handling (failure.ts) may do to this session. */
  private readonly host: LoopHost = {
    post: (e) => this.post(e),
    exclusive: (work) => this.exclusive(work),
    dropChain: () => {
      this.chain = Promise.resolve();
    },
    setState: (r, state, message) => this.setState(r, state, message),
    storeCheckpoint: (r) => this.storeCheckpoint(r),
    hold: this.hold,
    yield: () => this.yield(),
  };

  constructor(private readonly post: (e: WorkerEvent) => void, private readonly env: SessionEnv) {}

  /** Handles one command. A started run keeps training after this resolves; `idle()` waits for it. */
  async handle(cmd: Command): Promise<void> {
    const runId = 'runId' in cmd ? cmd.runId : null;
    try {
      switch (cmd.type) {
        case 'init': return await this.init(cmd.backend, cmd.chosen);
        case 'predict': {
          // A config on a dropped CSV is predicted before any start has sent the file.
          this.inputs.addFiles(cmd.files);
          const { prediction, message } = predictRaw(cmd.config, this.inputs.series);
          return this.post({ type: 'prediction', runId: null, requestId: cmd.requestId, prediction, ...(message ? { message } : {}) });
        }
        case 'start':
          this.inputs.addFiles(cmd.files);
          return await this.begin(cmd.runId, () => prepareStart(cmd.config, cmd.init, this.inputs.series), { holdFirst: cmd.holdFirst, keep: cmd.keep });
        case 'importWeights': {
          this.inputs.addFiles(cmd.files);
          await this.begin(cmd.runId, () => prepareImport(cmd.text, cmd.config, this.inputs.series), { imported: true, keep: cmd.keep });
          return cmd.resumeTo === undefined ? undefined : this.resume(cmd.runId, cmd.resumeTo);
        }
        case 'resumeKept': {
          this.inputs.addFiles(cmd.files);
          const saved = newest(await this.env.store?.checkpoint(cmd.runId), snapshotOf(this.current, cmd.runId));
          if (!saved) return await this.begin(cmd.runId, () => prepareStart(cmd.config, undefined, this.inputs.series), { keep: true, holdFirst: true, target: cmd.resumeTo });
          await this.begin(cmd.runId, () => prepareImport(saved.text, cmd.config, this.inputs.series), { imported: true, keep: true, activeMs: cmd.activeMs, target: cmd.resumeTo });
          return this.resume(cmd.runId, cmd.resumeTo);
        }
        case 'probe': throw new Error('probes run in a worker of their own (worker.ts), not in a training session');
        case 'inspect':
        case 'inspectWindow':
        case 'sample': return await this.withRun(cmd.runId, (r) => this.exclusive(() => tryModel(cmd, r.trainer, this.post)));
        case 'pause': return this.pause(cmd.runId);
        case 'resume': return this.resume(cmd.runId, cmd.steps);
        case 'stop': return await this.stop(cmd.runId);
        case 'evaluate': return await this.withRun(cmd.runId, (r) => this.exclusive(() => evaluate(this.host, r)));
        case 'export': return await this.export(cmd.runId, cmd.requestId);
        case 'hold': return this.requestHold(cmd.runId);
        case 'release': return this.hold.end();
        case 'addText': return this.post(addDroppedText(cmd.requestId, cmd.name, cmd.bytes));
        case 'releaseCachedMemory': return await this.exclusive(async () => this.post(memoryNow(releaseCachedMemory())));
        case 'measureMemory': return await this.exclusive(async () => this.post(memoryNow()));
        case 'testOnlyDestroyDevice': return webgpuDevice().destroy();
      }
    } catch (e) {
      const c = classify(e, this.current?.config, predictedPeak);
      if (cmd.type === 'sample') {
        this.post({ type: 'sampled', runId: cmd.runId, requestId: cmd.requestId, text: '', done: true, message: c.message });
        return;
      }
      if (cmd.type === 'importWeights' && c.kind === 'config') {
        c.suggestion = 'The current run is untouched. Choose a weights JSON written by the lab, its command line or torch_reference.py.';
      }
      this.post({ type: 'error', runId, ...c, fatal: false });
    }
  }

  /** Resolves once no step or command is in flight (a run that keeps training keeps it busy). */
  async idle(): Promise<void> {
    let seen: Promise<unknown> | undefined;
    while (seen !== this.chain) {
      seen = this.chain;
      await seen.catch(() => undefined);
      await this.yield();
    }
  }

  private async init(choice: BackendChoice, chosen = false): Promise<void> {
    const r = this.current;
    if (r && LIVE.includes(r.state)) throw new Error('pause or stop the run before switching the backend');
    if (r?.trainer) await this.exclusive(async () => release(r));
    this.backend = this.env.initBackend(choice, (f) => {
      this.backend = undefined; // the next command sets a backend up again
      backendFailed(this.host, this.current, f);
    }, chosen);
    const info = await this.backend.catch((e: unknown) => {
      this.backend = undefined;
      throw e;
    });
    this.post({ type: 'ready', runId: null, ...info });
  }

  private async ensureBackend(): Promise<void> {
    if (!this.backend) await this.init('auto');
    else await this.backend;
  }

  private async begin(runId: string, prepare: () => Promise<PreparedRun>, how: Begin): Promise<void> {
    const { imported = false, holdFirst = false, keep = false } = how;
    await this.ensureBackend();
    const prepared = await prepare(); // throws before anything changes
    // So does a text too short for its windows.
    const text = this.inputs.tokenize(prepared, (done, total) => this.post({ type: 'tokenizing', runId, done, total }));
    const old = this.current;
    if (old && LIVE.includes(old.state)) await this.stop(old.id, false);
    await this.exclusive(async () => {
      const trainer = Trainer.create(prepared.run, { ...prepared.options, series: this.inputs.series, text }); // throws: the old run stays
      if (old) release(old);
      const target = Math.max(how.target ?? prepared.run.train.steps, trainer.step);
      const r: Run = {
        id: runId, config: prepared.run, trainer, target, state: 'starting', activeMs: how.activeMs ?? 0, lastEvalStep: -1, keep, phase: 'training', queued: 0, readOnce: false,
        recorder: new Recorder(runId, {
          post: this.post,
          progress: () => ({ step: r.trainer?.step ?? r.snapshot?.step ?? 0, targetSteps: r.target, activeMs: activeMs(r), phase: r.phase }),
          warn: (message) => this.post({ type: 'warning', runId, message }),
        }, keep ? this.env.store : undefined),
      };
      this.current = r;
      r.recorder.begin(trainer.step);
      // Step events come in bursts, one per queued step, when a read-back lands (whoever asked for it).
      trainer.subscribe((e) => {
        if (e.type === 'step') {
          r.recorder.step(e.metrics);
          r.recorder.memory(e.metrics.step, memoryOf(e.metrics));
        } else r.recorder.eval(e.metrics);
      });
      this.post({
        type: 'started', runId, config: prepared.run, parameterCount: parameterCountOf(prepared.run.model),
        startStep: trainer.step, targetSteps: r.target, imported, ...(prepared.notes.length ? { note: prepared.notes.join('; ') } : {}),
      });
      this.setState(r, 'starting');
      // In memory only: exportable should the first steps fail. Nothing is stored yet: a run
      // without a checkpoint starts again from its seed, which gives the same weights.
      await snapshot(this.host, r, false);
      if (imported) {
        await evaluate(this.host, r);
        if (r.state === 'starting' || r.state === 'pausing') this.setState(r, 'paused');
      }
    });
    const r = this.current!;
    if (r.id !== runId) return;
    if (r.state === 'starting') {
      if (holdFirst) this.hold.request();
      this.run(r);
    }
    else if (r.state === 'pausing' || r.state === 'stopping') await this.exclusive(() => settle(this.host, r));
  }

  private run(r: Run): void {
    if (r.trainer!.step >= r.target) return this.setState(r, 'done');
    r.since = performance.now();
    this.setState(r, 'running');
    void trainLoop(this.host, r);
  }

  /** The page wants to draw on a quiet device: at the next step boundary, or now when no step runs. */
  private requestHold(runId: string): void {
    const r = this.current;
    const step = r?.trainer?.step ?? 0;
    if (r && r.id === runId && r.state === 'running' && !this.hold.taken) this.hold.request();
    else if (r && r.id === runId && r.state === 'starting') this.hold.request();
    else this.post({ type: 'held', runId, step });
  }

  private pause(runId: string): void {
    this.hold.end();
    const r = this.find(runId);
    if (r.state === 'running' || r.state === 'starting') this.setState(r, 'pausing');
  }

  private resume(runId: string, steps?: number): void {
    const r = this.find(runId);
    if (r.state !== 'paused' && r.state !== 'done' && r.state !== 'stopped') return;
    if (!r.trainer) throw new Error('this run has no live model any more; import its weights to continue');
    if (steps !== undefined) {
      if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer (got ${steps})`);
      r.target = Math.max(steps, r.trainer.step);
    }
    this.run(r);
  }

  private async stop(runId: string, wait = true): Promise<void> {
    this.hold.end();
    const r = this.find(runId);
    if (r.state === 'running' || r.state === 'pausing' || r.state === 'starting') this.setState(r, 'stopping');
    else if (r.state === 'paused') {
      this.setState(r, 'stopping');
      await this.exclusive(() => settle(this.host, r));
    }
    if (wait) await this.idle();
  }

  private async export(runId: string, requestId: number): Promise<void> {
    const r = this.find(runId);
    await this.exclusive(async () => {
      setPhase(r, 'exporting');
      await readBack(r).catch(() => undefined); // a diverged step: the last good weights below
      this.post({ type: 'exported', runId, requestId, ...(await weightsText(r)) });
      setPhase(r, 'training');
    });
  }

  /**
   * Stores a kept run's snapshot with the metrics up to it (one transaction); the page hears
   * which step is saved once the write landed.
   */
  private async storeCheckpoint(r: Run): Promise<void> {
    if (!r.keep || !r.snapshot) return;
    const { step, doc } = r.snapshot;
    if (this.env.store) await r.recorder.save({ step, text: stringifyWeights(doc) });
    this.post({ type: 'checkpoint', runId: r.id, step });
  }

  private setState(r: Run, state: RunState, message?: string): void {
    r.state = state;
    r.recorder.flush(); // every step before the change reaches the page first
    const step = r.trainer?.step ?? r.snapshot?.step ?? 0;
    this.post({ type: 'state', runId: r.id, state, step, targetSteps: r.target, ...(message ? { message } : {}) });
  }

  private find(runId: string): Run {
    const r = this.current;
    if (!r || r.id !== runId) throw new Error(`no run ${JSON.stringify(runId)} in this worker`);
    return r;
  }

  private async withRun(runId: string, f: (r: Run) => Promise<void>): Promise<void> {
    await f(this.find(runId));
  }

  /** Runs `f` after everything queued before it; one trainer operation at a time. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private yield(): Promise<void> {
    return this.env.yieldToEventLoop?.() ?? new Promise((resolve) => setTimeout(resolve, 0));
  }
}
