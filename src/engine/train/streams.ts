import { architecture, type ModelConfig } from '../config';
import { evaluate, evaluateBatch } from '../eval/evaluate';
import { evaluateForecast, evaluateSeriesBatch } from '../eval/forecast';
import type { ForecasterConfig } from '../forecaster/config';
import type { ForwardContext } from '../model/context';
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
import { finalSplitsOf, type EvalMetricKey } from '../../tasks/metrics';
import { PAD, type Batch, type Example } from '../../tasks/types';
import type { MicroBatch } from './objective';

/** What an evaluation line is about: the held-out split, a forecast's test split, or the batch of `train --batch`. */
export type EvalSplit = 'val' | 'test' | 'batch';

/** What one evaluation finds, besides its step: `loss` and the task's metrics (tasks/metrics.ts). */
export type EvalFields = { loss: number } & Partial<Record<EvalMetricKey, number>> & { evalPeakBytes?: number; hostTargetBytes?: number };

/**
 * The data side of a run, per task: the training stream (prepared one step ahead), what counts
 * as a token for throughput, and the evaluation of a split. The trainer asks `streamFor` and
 * never tells tasks apart itself.
 */
export interface TaskStream {
  /** The next step's micro-batches. */
  take(): MicroBatch[];
  /** Tokens a micro-batch feeds the model: non-PAD input tokens, or variate tokens (rows × N). */
  tokens(b: MicroBatch): number;
  /** The splits a run's end evaluates; the first is the one evaluated during training. */
  readonly splits: readonly EvalSplit[];
  evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined, split: EvalSplit): Promise<EvalFields>;
}

export interface StreamOptions {
  /** `train --batch`: this one batch at every step; the task makes nothing. */
  fixedBatch?: MicroBatch;
  /** Where a forecast task's CSV comes from. */
  series?: SeriesSource;
}

const inputTokens = (b: Batch) => [...(b.src ?? []), ...(b.tgtIn ?? [])].reduce((n, row) => n + row.filter((t) => t !== PAD).length, 0);

/** Copy, reverse, sort, addition: examples drawn from the seed, a held-out set that never overlaps training. */
export class TokenStream implements TaskStream {
  readonly validation: Example[];
  private readonly batches: Prefetcher<Batch[]>;

  readonly splits: readonly EvalSplit[];

  constructor(private readonly run: RunConfig, startStep: number) {
    const t = run.train;
    this.splits = finalSplitsOf(run.task.name);
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
  tokens = (b: MicroBatch) => inputTokens(b as Batch);

  async evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined): Promise<EvalFields> {
    const cfg: ModelConfig = this.run.model;
    const r = await evaluate(p, cfg, architecture(cfg), this.validation, matMul);
    return { loss: r.loss, exactMatch: r.exactMatch, tokenAccuracy: r.tokenAccuracy };
  }
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
    this.splits = finalSplitsOf(run.task.name);
    this.data = prepareForecastData(run.task, series(run.task));
    this.linear = fitLinearBaseline(this.data);
    const order = trainingOrder(this.data, t.seed);
    for (let s = 0; s < startStep; s++) order.next(t.batchSize);
    const k = t.gradAccumSteps;
    this.batches = new Prefetcher(() => splitSeriesBatch(windowBatch(this.data, order.next(t.batchSize)), k));
  }

  take = () => this.batches.take();
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

  constructor(private readonly run: LabRunConfig, private readonly batch: MicroBatch) {
    const k = run.train.gradAccumSteps;
    this.micro = 'rows' in batch ? splitSeriesBatch(batch, k) : splitBatchRows(batch, k);
  }

  take = () => this.micro;
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
  if (opts.fixedBatch) return new BatchStream(run, opts.fixedBatch);
  if (isForecastRun(run)) return new ForecastStream(run, startStep, opts.series ?? noSeries('no CSV or shipped series is available here'));
  return new TokenStream(run, startStep);
}
