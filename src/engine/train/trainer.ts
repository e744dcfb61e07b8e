import { architecture } from '../config';
import { runnerFor } from '../autograd/checkpoint';
import { evaluate } from '../eval/evaluate';
import { inspectExample, type Inspection } from '../eval/inspect';
import { sampleTokens, type SampleOptions } from '../eval/sample';
import { evaluateText } from '../eval/text';
import { createContext, type ForwardContext } from '../model/context';
import type { StackRunner } from '../model/forward';
import type { MemoryBreakdown } from '../memory/breakdown';
import { stepMeter } from '../memory/meter';
import { TransformerModel } from '../model/model';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { learningRate } from '../optim/schedule';
import type { RunConfig } from '../runConfig';
import { matMulFor } from '../precision/autocast';
import { LossScaler } from '../precision/lossScaler';
import { precisionPolicy, type PrecisionPolicy } from '../precision/policy';
import { splitBatchRows } from '../weights/batch';
import { exportWeights, type NamedTensor, type WeightsDocument } from '../weights/format';
import { toBatch } from '../../tasks/batches';
import { createDataset, Prefetcher } from '../../tasks/dataset';
import { taskDefinition } from '../../tasks/registry';
import { evalPrompt, prepareTextData, TrainWindows, validationStarts, windowBatch, type TextData } from '../../tasks/text/data';
import { requireText } from '../../tasks/text/source';
import type { Tokenizer } from '../../tasks/text/tokenizer';
import { PAD, type Batch, type BatchLayout, type Example } from '../../tasks/types';
import { optimizerStep } from './step';

export interface StepMetrics {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Non-PAD input tokens (src and tgtIn) processed per second of wall time. */
  tokensPerSec: number;
  stepMs: number;
  /** With loss scaling: the scale this step used, and whether an overflow skipped it. */
  lossScale?: number;
  skipped?: boolean;
  /** Where the step's bytes went (see memory/breakdown.ts), sampled without device reads. */
  memory?: MemoryBreakdown;
}

/** A text run's sample at an evaluation: the fixed prompt and the model's continuation. */
export interface EvalSample {
  prompt: string;
  text: string;
}

/** Held-out metrics: `loss` and the task's others (tasks/metrics.ts decides which). */
export interface EvalMetrics {
  step: number;
  split: 'val';
  loss: number;
  exactMatch?: number;
  tokenAccuracy?: number;
  bitsPerChar?: number;
  /** Text runs: one sample from a fixed prompt with a fixed seed, the same at every evaluation. */
  sample?: EvalSample;
}

/** How the sample of every evaluation of a text run is drawn (the same for every run). */
export const EVAL_SAMPLE: SampleOptions = { tokens: 96, temperature: 0.8, topK: null, seed: 0 };

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
  fixedBatch?: Batch;
  /** Text runs: the tokenized text, when the caller prepared it (with progress); else it is prepared from the loaded text. */
  text?: TextData;
  /** Text runs: the tokenizer a weights file carries; the text is tokenized with it. */
  tokenizer?: Tokenizer;
}

/** Raised when the loss stops being a finite number. */
export class DivergedError extends Error {
  constructor(readonly step: number) {
    super(`training diverged at step ${step}: the loss is not a finite number; lower the learning rate or clip gradients`);
    this.name = 'DivergedError';
  }
}

const inputTokens = (b: Batch) =>
  [...(b.src ?? []), ...(b.tgtIn ?? [])].reduce((n, row) => n + row.filter((t) => t !== PAD).length, 0);

/** One run: model, optimizer, data stream and schedule. Emits events; never draws or logs. */
export class Trainer {
  private listeners = new Set<(e: TrainerEvent) => void>();
  private stepIndex = 0;
  private readonly layout: BatchLayout;
  private readonly validation: Example[];
  private readonly batches: Prefetcher<Batch[]>;
  private text?: TextData;
  private readonly fileTokenizer?: Tokenizer;
  /** What the run's precision settings decide: matmul form, recompute, boundary storage, loss scaling. */
  readonly policy: PrecisionPolicy;
  private readonly stackRunner: StackRunner;
  /** The policy's matmul, built once: the same stateless closure serves every micro-batch, eval and inspect. */
  private readonly matMul: ForwardContext['matMul'] | undefined;
  private readonly scaler: LossScaler | null;

  private constructor(
    readonly run: RunConfig,
    readonly model: TransformerModel,
    readonly optimizer: Optimizer,
    opts: TrainerOptions,
    startStep: number,
  ) {
    const t = run.train;
    this.layout = architecture(run.model);
    this.policy = precisionPolicy(t);
    this.stackRunner = runnerFor(this.policy);
    this.matMul = matMulFor(this.policy.matMul);
    // `enabled` is the policy's to read; the scaler takes the rest.
    const { enabled: _enabled, ...scalerConfig } = t.lossScaler;
    this.scaler = this.policy.lossScaling ? new LossScaler(scalerConfig) : null;
    if (opts.lossScalerState !== undefined && this.scaler) this.scaler.load(opts.lossScalerState);
    this.text = opts.text;
    this.fileTokenizer = opts.tokenizer;
    const k = t.gradAccumSteps;
    const per = t.batchSize / k;
    const fixed = opts.fixedBatch;
    const task = run.task;
    if (task.name === 'text') {
      this.validation = [];
      // With a fixed batch the text is needed only to evaluate: it is tokenized then.
      const windows = fixed ? undefined : new TrainWindows(this.textData(), t.seed);
      // A resumed run continues the data stream where it stopped, so resuming equals not stopping.
      for (let s = 0; s < startStep && windows; s++) windows.nextStarts(t.batchSize);
      this.batches = new Prefetcher(() => {
        if (!windows) return splitBatchRows(fixed!, k);
        const starts = windows.nextStarts(t.batchSize);
        return Array.from({ length: k }, (_, i) => windowBatch(this.text!, starts.slice(i * per, (i + 1) * per)));
      });
      return;
    }
    const data = createDataset(task, t.seed, { validationSize: t.validationSize });
    this.validation = data.validation;
    if (!fixed) for (let s = 0; s < startStep; s++) data.nextTrain(t.batchSize);
    this.batches = new Prefetcher(() => {
      if (fixed) return splitBatchRows(fixed, k);
      const examples = data.nextTrain(t.batchSize);
      return Array.from({ length: k }, (_, i) => toBatch(examples.slice(i * per, (i + 1) * per), this.layout));
    });
  }

  /** A text run's tokenized text: the one handed in, or the loaded text tokenized now (once). */
  textData(): TextData {
    const task = this.run.task;
    if (task.name !== 'text') throw new Error(`the ${task.name} task has no text`);
    this.text ??= prepareTextData(task, requireText(task), { tokenizer: this.fileTokenizer });
    return this.text;
  }

  static create(run: RunConfig, opts: TrainerOptions = {}): Trainer {
    const model = opts.init ? TransformerModel.fromValues(run.model, opts.init) : TransformerModel.initialise(run.model, run.train.seed);
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

  get validationSet(): readonly Example[] {
    return this.validation;
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
    const micro = this.batches.take();
    const step = this.stepIndex;
    const lr = learningRate(t.schedule, t.optimizer.lr, step, t.steps);
    const scaleUsed = this.scaler?.scale;
    const meter = stepMeter(this.run.model, this.policy, micro);
    const outcome = await optimizerStep({
      model: this.model,
      optimizer: this.optimizer,
      microBatches: micro,
      contextFor: (i) =>
        createContext({ dropoutRate: this.run.model.dropout, dropoutSeed: { seed: t.seed, step, micro: i }, matMul: this.matMul }),
      runner: this.stackRunner,
      lr,
      clipGradNorm: t.clipGradNorm,
      scaler: this.scaler,
      meter,
    });
    if (!Number.isFinite(outcome.loss) && !this.scaler) throw new DivergedError(step);
    this.stepIndex++;
    const stepMs = performance.now() - started;
    const tokens = micro.reduce((n, b) => n + inputTokens(b), 0);
    const metrics: StepMetrics = { step, loss: outcome.loss, lr, gradNorm: outcome.gradNorm, tokensPerSec: (tokens / stepMs) * 1000, stepMs };
    const parameters = this.model.parameterBytes();
    metrics.memory = meter.breakdown({ parameters, gradients: parameters, optimizerState: this.optimizer.stateBytes() });
    if (this.scaler) Object.assign(metrics, { lossScale: scaleUsed, skipped: outcome.skipped });
    this.emit({ type: 'step', metrics });
    return metrics;
  }

  async evaluate(): Promise<EvalMetrics> {
    const metrics: EvalMetrics = this.run.task.name === 'text' ? await this.evaluateText() : await this.evaluateExamples();
    this.emit({ type: 'eval', metrics });
    return metrics;
  }

  private async evaluateExamples(): Promise<EvalMetrics> {
    const result = await evaluate(this.model.lookup, this.run.model, this.layout, this.validation, this.matMul);
    return { step: this.stepIndex, split: 'val', loss: result.loss, exactMatch: result.exactMatch, tokenAccuracy: result.tokenAccuracy };
  }

  /** A text run: loss, bits per character and token accuracy over the validation windows, and the evaluation's sample. */
  private async evaluateText(): Promise<EvalMetrics> {
    const data = this.textData();
    const result = await evaluateText(this.model.lookup, this.run.model, data, validationStarts(data, this.run.train.validationSize), this.matMul);
    const prompt = evalPrompt(data);
    const text = data.tokenizer.decode(await this.sampleIds(prompt, EVAL_SAMPLE));
    return {
      step: this.stepIndex, split: 'val', loss: result.loss, bitsPerChar: result.bitsPerChar, tokenAccuracy: result.tokenAccuracy,
      sample: { prompt: data.tokenizer.decode(prompt), text },
    };
  }

  /**
   * A text run's continuation of `prompt` (token ids) by the current weights, in evaluation mode
   * with the run's matmul precision; `onChunk` sees the ids as they are read back.
   */
  sampleIds(prompt: ArrayLike<number>, opts: SampleOptions, onChunk?: (ids: Int32Array) => boolean | void): Promise<Int32Array> {
    const data = this.textData();
    const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul: this.matMul });
    return sampleTokens(ctx, this.model.lookup, this.run.model, prompt, data.contextLength, data.tokenizer.size, opts, onChunk);
  }

  /**
   * The current weights' greedy answer to one input (token ids without EOS) and the attention
   * maps behind it, in evaluation mode with the run's matmul precision as `evaluate` uses; the
   * answer may be as long as the task's longest.
   */
  async inspect(input: number[]): Promise<Inspection> {
    const task = this.run.task;
    if (task.name === 'text') throw new Error('a text run has no input to inspect: sample from it instead');
    const longestAnswer = taskDefinition(task).longest(task).answer;
    return inspectExample(this.model.lookup, this.run.model, input, longestAnswer, this.matMul);
  }

  /** Trains until `train.steps` (or `until`), evaluating every `evalEvery` steps and at the end. */
  async train(opts: { until?: number; signal?: AbortSignal } = {}): Promise<void> {
    const until = opts.until ?? this.run.train.steps;
    while (this.stepIndex < until && !opts.signal?.aborted) {
      await this.trainStep();
      if (this.stepIndex % this.run.train.evalEvery === 0 || this.stepIndex === until) await this.evaluate();
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
        ...(this.run.task.name === 'text' ? { tokenizer: this.textData().tokenizer.toJson() } : {}),
        training: { step: this.stepIndex, run: this.run },
      },
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}
