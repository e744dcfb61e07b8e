import { architecture, type ModelConfig } from '../config';
import { evaluate, evaluateBatch } from '../eval/evaluate';
import { evaluateForecast, evaluateSeriesBatch } from '../eval/forecast';
import { sampleTokens, type SampleOptions } from '../eval/sample';
import { evaluateText } from '../eval/text';
import type { ForecasterConfig } from '../forecaster/config';
import { createContext, type ForwardContext } from '../model/context';
import type { ParamLookup } from '../model/layers';
import type { ForecastRunConfig, LabRunConfig, RunConfig } from '../runConfig';
import { isForecastRun } from '../runConfig';
import { isForecaster } from '../modelKind';
import { ConfigError } from '../validation';
import { splitBatchRows } from '../weights/batch';
import { toBatch } from '../../tasks/batches';
import { createDataset, Prefetcher } from '../../tasks/dataset';
import { baselineErrors, fitLinearBaseline, type BaselineErrors } from '../../tasks/forecast/baselines';
import { batchRows, trainingOrder, windowBatch, type SeriesBatch } from '../../tasks/forecast/batches';
import { prepareForecastData, type ForecastData, type Split } from '../../tasks/forecast/series';
import { noSeries, type SeriesSource } from '../../tasks/forecast/task';
import { evalPlanOf, type EvalMetricKey } from '../../tasks/metrics';
import { evalPrompt, prepareTextData, TrainWindows, validationStarts, windowBatch as textWindows, type TextData } from '../../tasks/text/data';
import { requireText } from '../../tasks/text/source';
import type { TextTaskConfig } from '../../tasks/text/task';
import type { Tokenizer } from '../../tasks/text/tokenizer';
import { PAD, type Batch, type Example, type ExampleTaskConfig } from '../../tasks/types';
import type { MicroBatch } from './objective';

/** A text run's sample at an evaluation: the fixed prompt and the model's continuation. */
export interface EvalSample {
  prompt: string;
  text: string;
}

/** What an evaluation line is about: the held-out split, a forecast's test split, or the batch of `train --batch`. */
export type EvalSplit = 'val' | 'test' | 'batch';

/**
 * What one evaluation finds, besides its step and split: `loss` and the task's metrics
 * (tasks/metrics.ts decides which), and what the task adds to them: a text run's sample, a
 * forecast's evaluation memory (its peak live bytes and the bytes of targets kept on the host).
 */
export type EvalFields = { loss: number } & Partial<Record<EvalMetricKey, number>> & {
  sample?: EvalSample;
  evalPeakBytes?: number;
  hostTargetBytes?: number;
};

/** How the sample of every evaluation of a text run is drawn (the same for every run). */
export const EVAL_SAMPLE: SampleOptions = { tokens: 96, temperature: 0.8, topK: null, seed: 0 };

/**
 * The data side of a run, per task: the training stream (prepared one step ahead), what counts
 * as a token for throughput, and the evaluation of a split. The trainer asks `streamFor` and
 * never tells tasks apart itself.
 */
export interface TaskStream {
  /** The next step's micro-batches. */
  take(): MicroBatch[];
  /** The micro-batches `take` will give next, left in the stream (a compile-only warm-up's). */
  peek(): MicroBatch[];
  /** Tokens a micro-batch feeds the model: non-PAD input tokens, or variate tokens (rows × N). */
  tokens(b: MicroBatch): number;
  /** The splits a run's end evaluates; the first is the one evaluated during training. */
  readonly splits: readonly EvalSplit[];
  evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined, split: EvalSplit): Promise<EvalFields>;
  /** Top-level keys the task adds to the weights JSON (a text run's tokenizer). */
  weightsExtra(): Record<string, unknown>;
}

export interface StreamOptions {
  /** `train --batch`: this one batch at every step; the task makes nothing. */
  fixedBatch?: MicroBatch;
  /** Where a forecast task's CSV comes from. */
  series?: SeriesSource;
  /** Text runs: the tokenized text, when the caller prepared it (with progress); else it is prepared from the loaded text. */
  text?: TextData;
  /** Text runs: the tokenizer a weights file carries; the text is tokenized with it. */
  tokenizer?: Tokenizer;
}

const inputTokens = (b: Batch) => [...(b.src ?? []), ...(b.tgtIn ?? [])].reduce((n, row) => n + row.filter((t) => t !== PAD).length, 0);

/** Copy, reverse, sort, addition: examples drawn from the seed, a held-out set that never overlaps training. */
export class TokenStream implements TaskStream {
  readonly validation: Example[];
  private readonly batches: Prefetcher<Batch[]>;

  readonly splits: readonly EvalSplit[];

  constructor(readonly run: RunConfig & { task: ExampleTaskConfig }, startStep: number) {
    const t = run.train;
    this.splits = evalPlanOf(run.task.name).finalSplits;
    const layout = architecture(run.model);
    const data = createDataset(run.task, t.seed, { validationSize: t.validationSize });
    this.validation = data.validation;
    // A resumed run continues the data stream where it stopped, so resuming equals not stopping.
    for (let s = 0; s < startStep; s++) data.nextTrain(t.batchSize);
    const k = t.gradAccumSteps;
    this.batches = new Prefetcher(() => {
      const examples = data.nextTrain(t.batchSize);
      const per = t.batchSize / k;
      return Array.from({ length: k }, (_, i) => toBatch(examples.slice(i * per, (i + 1) * per), layout));
    });
  }

  take = () => this.batches.take();
  peek = () => this.batches.peek();
  tokens = (b: MicroBatch) => inputTokens(b as Batch);

  async evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined): Promise<EvalFields> {
    const cfg: ModelConfig = this.run.model;
    const r = await evaluate(p, cfg, architecture(cfg), this.validation, matMul);
    return { loss: r.loss, exactMatch: r.exactMatch, tokenAccuracy: r.tokenAccuracy };
  }

  weightsExtra = () => ({});
}

/**
 * The text task: training windows at offsets from the seeded stream, validation over consecutive
 * windows, and at each evaluation one sample from a fixed prompt with a fixed seed.
 */
export class TextStream implements TaskStream {
  private text?: TextData;
  /** A weights file's tokenizer, to tokenize the text with. */
  private readonly tokenizer?: Tokenizer;
  private readonly batches: Prefetcher<Batch[]>;

  readonly splits: readonly EvalSplit[];

  constructor(private readonly run: RunConfig & { task: TextTaskConfig }, startStep: number, opts: Pick<StreamOptions, 'text' | 'tokenizer'>) {
    const t = run.train;
    this.splits = evalPlanOf(run.task.name).finalSplits;
    this.text = opts.text;
    this.tokenizer = opts.tokenizer;
    const windows = new TrainWindows(this.data(), t.seed);
    // A resumed run continues the data stream where it stopped, so resuming equals not stopping.
    for (let s = 0; s < startStep; s++) windows.nextStarts(t.batchSize);
    const k = t.gradAccumSteps;
    const per = t.batchSize / k;
    this.batches = new Prefetcher(() => {
      const starts = windows.nextStarts(t.batchSize);
      return Array.from({ length: k }, (_, i) => textWindows(this.data(), starts.slice(i * per, (i + 1) * per)));
    });
  }

  take = () => this.batches.take();
  peek = () => this.batches.peek();

  /** The tokenized text: the one handed in, or the loaded text tokenized now (once). */
  data(): TextData {
    this.text ??= prepareTextData(this.run.task, requireText(this.run.task), { tokenizer: this.tokenizer });
    return this.text;
  }

  tokens = (b: MicroBatch) => inputTokens(b as Batch);

  /** Loss, bits per character and token accuracy over the validation windows, and the evaluation's sample. */
  async evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined): Promise<EvalFields> {
    const data = this.data();
    const r = await evaluateText(p, this.run.model, data, validationStarts(data, this.run.train.validationSize), matMul);
    const prompt = evalPrompt(data);
    const text = data.tokenizer.decode(await this.sample(p, matMul, prompt, EVAL_SAMPLE));
    return { loss: r.loss, bitsPerChar: r.bitsPerChar, tokenAccuracy: r.tokenAccuracy, sample: { prompt: data.tokenizer.decode(prompt), text } };
  }

  /** The model's continuation of `prompt` (token ids) in evaluation mode; `onChunk` sees the ids as they are read back. */
  sample(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined, prompt: ArrayLike<number>, opts: SampleOptions, onChunk?: (ids: Int32Array) => boolean | void): Promise<Int32Array> {
    const data = this.data();
    const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul });
    return sampleTokens(ctx, p, this.run.model, prompt, data.contextLength, data.tokenizer.size, opts, onChunk);
  }

  weightsExtra = () => ({ tokenizer: this.data().tokenizer.toJson() });
}

/** The forecast task: shuffled training windows by epoch, metrics on the host, both baselines alongside. */
export class ForecastStream implements TaskStream {
  readonly data: ForecastData;
  private readonly batches: Prefetcher<SeriesBatch[]>;
  private readonly baselines: Partial<Record<Split, BaselineErrors>> = {};
  private readonly linear: ReturnType<typeof fitLinearBaseline>;
  readonly splits: readonly EvalSplit[];

  constructor(private readonly run: ForecastRunConfig, startStep: number, series: SeriesSource) {
    const t = run.train;
    this.splits = evalPlanOf(run.task.name).finalSplits;
    this.data = prepareForecastData(run.task, series(run.task));
    this.linear = fitLinearBaseline(this.data);
    const order = trainingOrder(this.data, t.seed);
    for (let s = 0; s < startStep; s++) order.next(t.batchSize);
    const k = t.gradAccumSteps;
    this.batches = new Prefetcher(() => splitSeriesBatch(windowBatch(this.data, order.next(t.batchSize)), k));
  }

  take = () => this.batches.take();
  peek = () => this.batches.peek();
  tokens = (b: MicroBatch) => (b as SeriesBatch).rows * (b as SeriesBatch).nVariates;

  /** The baselines' errors on a split (computed once). */
  baselineErrors(split: Split): BaselineErrors {
    return (this.baselines[split] ??= baselineErrors(this.data, split, this.linear));
  }

  async evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined, split: EvalSplit): Promise<EvalFields> {
    if (split === 'batch') throw new Error('a forecast task evaluates its val and test splits');
    const cfg: ForecasterConfig = this.run.model;
    const r = await evaluateForecast(p, cfg, this.data, split, matMul);
    const b = this.baselineErrors(split);
    return {
      loss: r.mse, mse: r.mse, mae: r.mae,
      repeatLastMse: b.repeatLast.mse, repeatLastMae: b.repeatLast.mae, linearMse: b.linear.mse, linearMae: b.linear.mae,
      evalPeakBytes: r.peakBytes, hostTargetBytes: r.hostTargetBytes,
    };
  }

  weightsExtra = () => ({});
}

/** k equal micro-batches of a batch of windows, in order. */
function splitSeriesBatch(batch: SeriesBatch, k: number): SeriesBatch[] {
  const per = batch.rows / k;
  if (!Number.isInteger(per)) {
    throw new ConfigError([{ path: 'train.gradAccumSteps', message: `${k} does not divide the batch's ${batch.rows} rows into equal micro-batches` }]);
  }
  return Array.from({ length: k }, (_, i) => batchRows(batch, i * per, per));
}

/**
 * `train --batch`: the same batch at every step, split into the run's micro-batches. The task
 * makes nothing, so evaluation lines are that batch's metrics (`"split": "batch"`, dropout off).
 */
export class BatchStream implements TaskStream {
  readonly splits = ['batch'] as const;
  private readonly micro: MicroBatch[];

  constructor(private readonly run: LabRunConfig, private readonly batch: MicroBatch, readonly weightsExtra: () => Record<string, unknown>) {
    const k = run.train.gradAccumSteps;
    this.micro = 'rows' in batch ? splitSeriesBatch(batch, k) : splitBatchRows(batch, k);
  }

  take = () => this.micro;
  peek = () => this.micro;
  tokens = (b: MicroBatch) => ('rows' in b ? b.rows * b.nVariates : inputTokens(b));

  async evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined): Promise<EvalFields> {
    const cfg = this.run.model;
    if (isForecaster(cfg)) {
      const r = await evaluateSeriesBatch(p, cfg, this.batch as SeriesBatch, matMul);
      return { loss: r.mse, mse: r.mse, mae: r.mae };
    }
    return evaluateBatch(p, cfg, this.batch as Batch, matMul);
  }
}

/** The stream of a run's task (or of its given batch): the one place the trainer's data is told apart by task. */
export function streamFor(run: LabRunConfig, startStep: number, opts: StreamOptions): TaskStream {
  if (opts.fixedBatch) {
    const task = run.task;
    // A text run's file still carries its tokenizer: the given one, or the one its text makes.
    const extra = task.name === 'text'
      ? () => ({ tokenizer: (opts.tokenizer ?? prepareTextData(task, requireText(task), {}).tokenizer).toJson() })
      : () => ({});
    return new BatchStream(run, opts.fixedBatch, extra);
  }
  if (isForecastRun(run)) return new ForecastStream(run, startStep, opts.series ?? noSeries('no CSV or shipped series is available here'));
  const task = run.task;
  if (task.name === 'text') return new TextStream({ ...run, task }, startStep, opts);
  return new TokenStream({ ...run, task }, startStep);
}
