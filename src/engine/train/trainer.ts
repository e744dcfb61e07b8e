import { runnerFor } from '../autograd/checkpoint';
import { inspectExample, type Inspection } from '../eval/inspect';
import { inspectForecast, type ForecastInspection } from '../eval/forecastInspect';
import { createContext, type ForwardContext } from '../model/context';
import type { StackRunner } from '../model/forward';
import type { MemoryBreakdown } from '../memory/breakdown';
import { meterFor } from '../memory/forecaster';
import { liveMemory } from '../memory/live';
import { TransformerModel } from '../model/model';
import { isForecaster } from '../modelKind';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { learningRate } from '../optim/schedule';
import { isForecastRun, type LabRunConfig, type RunConfig } from '../runConfig';
import { matMulFor, weightGradientFor } from '../precision/autocast';
import { LossScaler } from '../precision/lossScaler';
import { precisionPolicy, type PrecisionPolicy } from '../precision/policy';
import { exportWeights, type NamedTensor, type WeightsDocument } from '../weights/format';
import { taskDefinition } from '../../tasks/registry';
import type { Split } from '../../tasks/forecast/series';
import type { SeriesSource } from '../../tasks/forecast/task';
import type { Example } from '../../tasks/types';
import { firstRows, type MicroBatch } from './objective';
import { optimizerStep } from './step';
import { ForecastStream, streamFor, TokenStream, type EvalFields, type EvalSplit, type TaskStream } from './streams';

export interface StepMetrics {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Non-PAD input tokens (src and tgtIn) processed per second of wall time; for a forecaster, variate tokens (rows × nVariates). */
  tokensPerSec: number;
  stepMs: number;
  /** With loss scaling: the scale this step used, and whether an overflow skipped it. */
  lossScale?: number;
  skipped?: boolean;
  /** Where the step's bytes went (see memory/breakdown.ts), sampled without device reads. */
  memory?: MemoryBreakdown;
  /**
   * The backend's live tensors and their bytes after the step (memory/live.ts): flat over a run
   * that leaks nothing. Always set by the trainer; optional for lines kept from before it did.
   */
  liveTensors?: number;
  liveBytes?: number;
}

/**
 * An evaluation line: `loss` and the task's metrics (tasks/metrics.ts: exact match and token
 * accuracy, or a forecast's MSE, MAE and its baselines'), on the validation split, or for a
 * forecast also the test split at the end. A forecast's line carries the evaluation's memory:
 * its peak live bytes and the bytes of targets it kept on the host.
 */
export type EvalMetrics = { step: number; split: EvalSplit } & EvalFields;

export type TrainerEvent = { type: 'step'; metrics: StepMetrics } | { type: 'eval'; metrics: EvalMetrics };

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
}

/** Raised when the loss stops being a finite number. */
export class DivergedError extends Error {
  constructor(readonly step: number) {
    super(`training diverged at step ${step}: the loss is not a finite number; lower the learning rate or clip gradients`);
    this.name = 'DivergedError';
  }
}

/** One run: model, optimizer, data stream and schedule. Emits events; never draws or logs. */
export class Trainer<R extends LabRunConfig = RunConfig> {
  private listeners = new Set<(e: TrainerEvent) => void>();
  private stepIndex = 0;
  /** The task's data and evaluation (streams.ts). */
  private readonly stream: TaskStream;
  /** What the run's precision settings decide: matmul form, recompute, boundary storage, loss scaling. */
  readonly policy: PrecisionPolicy;
  private readonly stackRunner: StackRunner;
  /** The policy's matmul, built once: the same stateless closure serves every micro-batch, eval and inspect. */
  private readonly matMul: ForwardContext['matMul'] | undefined;
  /** Autocast's rounding of weight gradients, once per step (precision/autocast.ts). */
  private readonly roundWeightGradient: ForwardContext['roundWeightGradient'];
  private readonly scaler: LossScaler | null;

  private constructor(
    readonly run: R,
    readonly model: TransformerModel<R['model']>,
    readonly optimizer: Optimizer,
    opts: TrainerOptions,
    startStep: number,
  ) {
    const t = run.train;
    this.policy = precisionPolicy(t);
    this.stackRunner = runnerFor(this.policy);
    this.matMul = matMulFor(this.policy.matMul);
    this.roundWeightGradient = weightGradientFor(this.policy.matMul);
    // `enabled` is the policy's to read; the scaler takes the rest.
    const { enabled: _enabled, ...scalerConfig } = t.lossScaler;
    this.scaler = this.policy.lossScaling ? new LossScaler(scalerConfig) : null;
    if (opts.lossScalerState !== undefined && this.scaler) this.scaler.load(opts.lossScalerState);
    this.stream = streamFor(run, startStep, { fixedBatch: opts.fixedBatch, series: opts.series });
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

  /** A token task's held-out examples (none for a forecast). */
  get validationSet(): readonly Example[] {
    return this.stream instanceof TokenStream ? this.stream.validation : [];
  }

  /** The forecast task's series, windows and statistics; undefined for token tasks. */
  get forecastData() {
    return this.stream instanceof ForecastStream ? this.stream.data : undefined;
  }

  subscribe(listener: (e: TrainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: TrainerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** One optimizer step over `gradAccumSteps` micro-batches; one asynchronous read-back. */
  async trainStep(): Promise<StepMetrics> {
    const t = this.run.train;
    const started = performance.now();
    const micro = this.stream.take();
    const step = this.stepIndex;
    const lr = learningRate(t.schedule, t.optimizer.lr, step, t.steps);
    const scaleUsed = this.scaler?.scale;
    const meter = meterFor(this.run.model, this.policy, micro);
    const rowsBefore = firstRows(micro);
    const outcome = await optimizerStep({
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
      scaler: this.scaler,
      meter,
    });
    if (!Number.isFinite(outcome.loss) && !this.scaler) throw new DivergedError(step);
    this.stepIndex++;
    const stepMs = performance.now() - started;
    const tokens = micro.reduce((n, b) => n + this.stream.tokens(b), 0);
    const metrics: StepMetrics = { step, loss: outcome.loss, lr, gradNorm: outcome.gradNorm, tokensPerSec: (tokens / stepMs) * 1000, stepMs };
    const parameters = this.model.parameterBytes();
    metrics.memory = meter.breakdown({ parameters, gradients: parameters, optimizerState: this.optimizer.stateBytes() });
    if (this.scaler) Object.assign(metrics, { lossScale: scaleUsed, skipped: outcome.skipped });
    const live = liveMemory();
    metrics.liveTensors = live.tensors;
    metrics.liveBytes = live.bytes;
    this.emit({ type: 'step', metrics });
    return metrics;
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
   * The current weights' greedy answer to one input (token ids without EOS) and the attention
   * maps behind it, in evaluation mode with the run's matmul precision as `evaluate` uses; the
   * answer may be as long as the task's longest.
   */
  async inspect(input: number[]): Promise<Inspection> {
    const run = this.run;
    if (isForecastRun(run)) throw new Error('a forecaster has no token input to try: inspect one of its windows');
    const longestAnswer = taskDefinition(run.task).longest(run.task).answer;
    return inspectExample(this.model.lookup, run.model, input, longestAnswer, this.matMul);
  }

  /** A forecaster's forecast for window `index` of a split, with the truth and the attention maps. */
  async inspectWindow(split: Split, index: number): Promise<ForecastInspection> {
    const cfg = this.run.model;
    if (!(this.stream instanceof ForecastStream) || !isForecaster(cfg)) throw new Error('only a forecaster has windows to inspect');
    return inspectForecast(this.model.lookup, cfg, this.stream.data, split, index, this.matMul);
  }

  /** Trains until `train.steps` (or `until`), evaluating every `evalEvery` steps and at the end. */
  async train(opts: { until?: number; signal?: AbortSignal } = {}): Promise<void> {
    const until = opts.until ?? this.run.train.steps;
    while (this.stepIndex < until && !opts.signal?.aborted) {
      await this.trainStep();
      if (this.stepIndex === this.run.train.steps) await this.evaluateEnd();
      else if (this.stepIndex % this.run.train.evalEvery === 0 || this.stepIndex === until) await this.evaluate();
    }
  }

  /** The weights JSON, with optimizer state and training metadata as extra top-level keys. */
  async weightsDocument(encoding: 'data' | 'base64' = 'base64'): Promise<WeightsDocument> {
    const [values, optimizerState] = await Promise.all([this.model.values(), this.optimizer.saveState()]);
    return exportWeights(this.run.model, values, {
      encoding,
      extra: {
        optimizerState,
        ...(this.scaler ? { lossScalerState: this.scaler.state() } : {}),
        training: { step: this.stepIndex, run: this.run },
      },
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}
