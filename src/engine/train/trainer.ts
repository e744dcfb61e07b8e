import * as tf from '@tensorflow/tfjs';
import { stepRunnerFor } from '../autograd/offload';
import { inspectExample, type Inspection } from '../eval/inspect';
import { inspectForecast, type ForecastInspection } from '../eval/forecastInspect';
import type { SampleOptions } from '../eval/sample';
import { createContext, type ForwardContext } from '../model/context';
import { meterFor } from '../memory/forecaster';
import { backendFigures } from '../memory/meter';
import { liveMemory } from '../memory/live';
import { TransformerModel } from '../model/model';
import { isForecaster } from '../modelKind';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { learningRate } from '../optim/schedule';
import type { LabRunConfig, RunConfig } from '../runConfig';
import { matMulFor, weightGradientFor } from '../precision/autocast';
import { compileOnly, webgpuOnFallbackAdapter } from '../internals/webgpu';
import { DeviceLossScaler, LossScaler } from '../precision/lossScaler';
import { precisionPolicy, type PrecisionPolicy } from '../precision/policy';
import { exportWeights, type NamedTensor, type WeightsDocument } from '../weights/format';
import { taskDefinition } from '../../tasks/registry';
import type { Split } from '../../tasks/forecast/series';
import type { SeriesSource } from '../../tasks/forecast/task';
import type { TextData } from '../../tasks/text/data';
import type { Tokenizer } from '../../tasks/text/tokenizer';
import type { Example } from '../../tasks/types';
import { firstRows, type MicroBatch } from './objective';
import { ReadbackWindow } from './readback';
import { queueStep, type StepInputs } from './step';
import { DivergedError, type EvalMetrics, type StepMetrics, type TrainerEvent } from './events';
import { ForecastStream, streamFor, TextStream, TokenStream, type EvalSplit, type TaskStream } from './streams';

export { EVAL_SAMPLE, type EvalSample } from './streams';

export interface TrainerOptions {
  /** Start from these weights (already checked against the config). */
  init?: Map<string, NamedTensor>;
  /** Optimizer state saved by an earlier run (checked on load). */
  optimizerState?: unknown;
  /** The step a saved run stopped at (its file's `training.step`); defaults to the optimizer's step count. */
  startStep?: number;
  /** Loss-scaler state saved by an earlier fp16 run. */
  lossScalerState?: unknown;
  /** Train on this one batch at every step instead of the task's stream. */
  fixedBatch?: MicroBatch;
  /** Where a forecast task's CSV comes from (the command line's files, the page's dropped file, the shipped series). */
  series?: SeriesSource;
  /** Text runs: the tokenized text, when the caller prepared it (with progress); else it is prepared from the loaded text. */
  text?: TextData;
  /** Text runs: the tokenizer a weights file carries; the text is tokenized with it. */
  tokenizer?: Tokenizer;
  /**
   * On WebGPU, compile every shader of a step before the first one runs (a compile-only pass:
   * nothing is computed or applied). By default on, except on a CPU fallback adapter
   * (SwiftShader), where it measured slower than compiling on first use (README, "WebGPU in Node").
   */
  compileWarmUp?: boolean;
}

/** One run: model, optimizer, data stream and schedule. Emits events; never draws or logs. */
export class Trainer<R extends LabRunConfig = RunConfig> {
  private listeners = new Set<(e: TrainerEvent) => void>();
  private stepIndex = 0;
  /** The task's data and evaluation (streams.ts). */
  private readonly stream: TaskStream;
  /** What the run's precision settings decide: matmul form, recompute, boundary storage, loss scaling. */
  readonly policy: PrecisionPolicy;
  private readonly stackRunner: StepInputs['runner'];
  /** The policy's matmul, built once: the same stateless closure serves every micro-batch, eval and inspect. */
  private readonly matMul: ForwardContext['matMul'] | undefined;
  /** Autocast's rounding of weight gradients, once per step (precision/autocast.ts). */
  private readonly roundWeightGradient: ForwardContext['roundWeightGradient'];
  private readonly scaler: LossScaler | null;
  /** Steps queued since the last read, and the device's scaler and stop flag. */
  private readonly readback: ReadbackWindow;
  private warmUpState: 'due' | 'auto' | 'done' | 'off';
  /** Milliseconds the compile-only warm-up took (null until it ran). */
  warmUpMs: number | null = null;

  private constructor(
    readonly run: R,
    readonly model: TransformerModel<R['model']>,
    readonly optimizer: Optimizer,
    opts: TrainerOptions,
    startStep: number,
  ) {
    const t = run.train;
    this.policy = precisionPolicy(t);
    this.stackRunner = stepRunnerFor(this.policy);
    this.matMul = matMulFor(this.policy.matMul);
    this.roundWeightGradient = weightGradientFor(this.policy.matMul);
    // `enabled` is the policy's to read; the scaler takes the rest.
    const { enabled: _enabled, ...scalerConfig } = t.lossScaler;
    this.scaler = this.policy.lossScaling ? new LossScaler(scalerConfig) : null;
    if (opts.lossScalerState !== undefined && this.scaler) this.scaler.load(opts.lossScalerState);
    this.readback = new ReadbackWindow(optimizer, this.scaler, this.scaler ? new DeviceLossScaler(scalerConfig, this.scaler.state()) : null);
    // An offloaded step awaits its reads to host memory, which a compile-only pass never fills.
    this.warmUpState = this.policy.offload ? 'off' : opts.compileWarmUp === undefined ? 'auto' : opts.compileWarmUp ? 'due' : 'off';
    this.stream = streamFor(run, startStep, opts);
  }

  static create<R extends LabRunConfig>(run: R, opts: TrainerOptions = {}): Trainer<R> {
    const config: R['model'] = run.model;
    const model = opts.init ? TransformerModel.fromValues(config, opts.init) : TransformerModel.initialise(config, run.train.seed);
    const optimizer = createOptimizer(run.train.optimizer, model.list());
    try {
      if (opts.optimizerState !== undefined) optimizer.loadState(opts.optimizerState);
      const start = opts.startStep ?? optimizer.stepCount;
      const trainer = new Trainer(run, model, optimizer, opts, start);
      trainer.stepIndex = start;
      return trainer;
    } catch (e) {
      optimizer.dispose();
      model.dispose();
      throw e;
    }
  }

  get step(): number {
    return this.stepIndex;
  }

  /** A token task's held-out examples (none for text or a forecast). */
  get validationSet(): readonly Example[] {
    return this.stream instanceof TokenStream ? this.stream.validation : [];
  }

  /** The forecast task's series, windows and statistics; undefined for token tasks. */
  get forecastData() {
    return this.stream instanceof ForecastStream ? this.stream.data : undefined;
  }

  /** A text run's tokenized text (tokenized now if the run had it only to evaluate). */
  textData(): TextData {
    if (!(this.stream instanceof TextStream)) throw new Error(`the ${this.run.task.name} task has no text`);
    return this.stream.data();
  }

  subscribe(listener: (e: TrainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: TrainerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Bytes of the step state kept on the device between steps (stop flag, loss scale, growth count). */
  get deviceStateBytes(): number {
    return this.readback.stateBytes;
  }

  /** Steps queued on the device whose loss has not been read back yet. */
  get pendingSteps(): number {
    return this.readback.size;
  }

  /** The inputs of the step about to run on `micro` (its dropout streams, lr and scaler). */
  private stepInputs(micro: MicroBatch[], step: number, lr: number, meter?: StepInputs['meter']): StepInputs {
    const t = this.run.train;
    const rowsBefore = firstRows(micro);
    return {
      model: this.model,
      optimizer: this.optimizer,
      microBatches: micro,
      contextFor: (i) =>
        createContext({
          dropoutRate: this.run.model.dropout,
          dropoutSeed: { seed: t.seed, step, firstRow: rowsBefore[i]! },
          matMul: this.matMul,
          roundWeightGradient: this.roundWeightGradient,
        }),
      runner: this.stackRunner,
      lr,
      clipGradNorm: t.clipGradNorm,
      scaler: this.readback.deviceScaler,
      meter,
    };
  }

  /**
   * On WebGPU, once: the next step built with every shader compiled and nothing run (TF.js's
   * compile-only mode), then a wait for the compiles. It takes no batch from the stream and
   * changes nothing. Returns its duration in ms (0 where there is nothing to do, or where
   * `compileWarmUp` was left to its default on a fallback adapter).
   */
  async warmUp(): Promise<number> {
    const state = this.warmUpState;
    if (state === 'done' || state === 'off') return 0;
    this.warmUpState = 'done';
    if (tf.getBackend() !== 'webgpu' || (state === 'auto' && webgpuOnFallbackAdapter())) return 0;
    const started = performance.now();
    const micro = this.stream.peek();
    const { readout } = await compileOnly(() => queueStep(this.stepInputs(micro, this.stepIndex, 0), this.readback.gate, false));
    readout.dispose();
    this.warmUpMs = performance.now() - started;
    return this.warmUpMs;
  }

  /**
   * Queues one optimizer step over `gradAccumSteps` micro-batches on the device and reads
   * nothing: whether it is skipped (fp16 overflow) and the next loss scale are decided there.
   * `flush` reads every queued step back at once.
   */
  async queueStep(): Promise<void> {
    await this.warmUp();
    const startedAt = performance.now();
    const t = this.run.train;
    const micro = this.stream.take();
    const step = this.stepIndex;
    const lr = learningRate(t.schedule, t.optimizer.lr, step, t.steps);
    const meter = meterFor(this.run.model, this.policy, micro);
    const { readout, hostBytes } = await queueStep(this.stepInputs(micro, step, lr, meter), this.readback.gate);
    const parameters = this.model.parameterBytes();
    const memory = meter.breakdown({ parameters, gradients: parameters, optimizerState: this.optimizer.stateBytes() });
    if (this.policy.offload) memory.host = hostBytes;
    this.readback.push({ step, lr, tokens: micro.reduce((n, b) => n + this.stream.tokens(b), 0), memory, readout }, startedAt);
    this.stepIndex++;
  }

  /**
   * Reads every queued step back in one read (losses, norms, overflow flags, scales, and the
   * scaler's state), settles the optimizer, and emits one step event per step, in order. The
   * wall time since the first of them was queued is shared out evenly as their stepMs. Without
   * a loss scaler a non-finite loss throws DivergedError: nothing from that step on landed.
   */
  async flush(): Promise<StepMetrics[]> {
    const { steps, stepMs, diverged } = await this.readback.read();
    const out: StepMetrics[] = [];
    // Taken once everything queued is read and settled: after each of these steps.
    const live = liveMemory();
    for (const s of steps.slice(0, diverged ?? steps.length)) {
      const q = s.queued;
      const metrics: StepMetrics = {
        step: q.step, loss: s.loss, lr: q.lr, gradNorm: s.gradNorm, tokensPerSec: (q.tokens / stepMs) * 1000, stepMs, memory: q.memory,
        liveTensors: live.tensors, liveBytes: live.bytes,
      };
      if (this.scaler) Object.assign(metrics, { lossScale: s.scale, skipped: s.overflow });
      this.emit({ type: 'step', metrics });
      out.push(metrics);
    }
    // The backend's figures of the last step as they stand once everything is read and settled.
    const last = out.at(-1)?.memory;
    if (last) Object.assign(last, backendFigures());
    if (diverged !== null) {
      this.stepIndex = steps[diverged]!.queued.step;
      throw new DivergedError(this.stepIndex);
    }
    return out;
  }

  /** One optimizer step and its read-back: the metrics of that step. */
  async trainStep(): Promise<StepMetrics> {
    await this.queueStep();
    return (await this.flush()).at(-1)!;
  }

  /** `n` optimizer steps queued back to back and read back together (one read for all). */
  async trainSteps(n: number): Promise<StepMetrics[]> {
    for (let i = 0; i < n; i++) await this.queueStep();
    return this.flush();
  }

  /** The task's metrics on a split (validation by default; the given batch under `train --batch`), emitted as an evaluation line. */
  async evaluate(split: EvalSplit = this.stream.splits[0]!): Promise<EvalMetrics> {
    const fields = await this.stream.evaluate(this.model.lookup, this.matMul, split);
    const metrics: EvalMetrics = { step: this.stepIndex, split, ...fields };
    this.emit({ type: 'eval', metrics });
    return metrics;
  }

  /** The evaluations that close a run: validation, and for a forecast the test split too (under `train --batch`, the batch). */
  async evaluateEnd(): Promise<EvalMetrics[]> {
    const out: EvalMetrics[] = [];
    for (const split of this.stream.splits) out.push(await this.evaluate(split));
    return out;
  }

  /**
   * A text run's continuation of `prompt` (token ids) by the current weights, in evaluation mode
   * with the run's matmul precision; `onChunk` sees the ids as they are read back.
   */
  sampleIds(prompt: ArrayLike<number>, opts: SampleOptions, onChunk?: (ids: Int32Array) => boolean | void): Promise<Int32Array> {
    if (!(this.stream instanceof TextStream)) throw new Error(`the ${this.run.task.name} task has no text to continue`);
    return this.stream.sample(this.model.lookup, this.matMul, prompt, opts, onChunk);
  }

  /**
   * The current weights' greedy answer to one input (token ids without EOS) and the attention
   * maps behind it, in evaluation mode with the run's matmul precision as `evaluate` uses; the
   * answer may be as long as the task's longest.
   */
  async inspect(input: number[]): Promise<Inspection> {
    if (this.stream instanceof TextStream) throw new Error('a text run has no input to inspect: sample from it instead');
    if (!(this.stream instanceof TokenStream)) throw new Error('a forecaster has no token input to try: inspect one of its windows');
    const { model, task } = this.stream.run;
    return inspectExample(this.model.lookup, model, input, taskDefinition(task).longest(task).answer, this.matMul);
  }

  /** A forecaster's forecast for window `index` of a split, with the truth and the attention maps. */
  async inspectWindow(split: Split, index: number): Promise<ForecastInspection> {
    const cfg = this.run.model;
    if (!(this.stream instanceof ForecastStream) || !isForecaster(cfg)) throw new Error('only a forecaster has windows to inspect');
    return inspectForecast(this.model.lookup, cfg, this.stream.data, split, index, this.matMul);
  }

  /**
   * Trains until `train.steps` (or `until`), evaluating every `evalEvery` steps and at the end.
   * Losses are read back every `readbackEvery` steps (and before each evaluation).
   */
  async train(opts: { until?: number; signal?: AbortSignal } = {}): Promise<void> {
    const until = opts.until ?? this.run.train.steps;
    const { evalEvery, readbackEvery, steps } = this.run.train;
    while (this.stepIndex < until && !opts.signal?.aborted) {
      const nextEval = (Math.floor(this.stepIndex / evalEvery) + 1) * evalEvery;
      await this.trainSteps(Math.min(readbackEvery, nextEval - this.stepIndex, until - this.stepIndex));
      if (this.stepIndex === steps) await this.evaluateEnd();
      else if (this.stepIndex % evalEvery === 0 || this.stepIndex === until) await this.evaluate();
    }
  }

  /** The weights JSON, with optimizer state and training metadata as extra top-level keys. */
  async weightsDocument(encoding: 'data' | 'base64' = 'base64'): Promise<WeightsDocument> {
    await this.flush();
    const [values, optimizerState] = await Promise.all([this.model.values(), this.optimizer.saveState()]);
    return exportWeights(this.run.model, values, {
      encoding,
      extra: {
        optimizerState,
        ...(this.scaler ? { lossScalerState: this.scaler.state() } : {}),
        ...this.stream.weightsExtra(),
        training: { step: this.stepIndex, run: this.run },
      },
    });
  }

  dispose(): void {
    this.readback.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}
