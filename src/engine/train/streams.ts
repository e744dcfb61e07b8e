import { architecture, type ModelConfig } from '../config';
import { evaluate } from '../eval/evaluate';
import { evaluateForecast } from '../eval/forecast';
import type { ForecasterConfig } from '../forecaster/config';
import type { ForwardContext } from '../model/context';
import type { ParamLookup } from '../model/layers';
import type { ForecastRunConfig, LabRunConfig, RunConfig } from '../runConfig';
import { isForecastRun } from '../runConfig';
import { splitBatchRows } from '../weights/batch';
import { toBatch } from '../../tasks/batches';
import { createDataset, Prefetcher } from '../../tasks/dataset';
import { baselineErrors, fitLinearBaseline, type BaselineErrors } from '../../tasks/forecast/baselines';
import { batchRows, trainingOrder, windowBatch, type SeriesBatch } from '../../tasks/forecast/batches';
import { prepareForecastData, type ForecastData, type Split } from '../../tasks/forecast/series';
import { noSeries, type SeriesSource } from '../../tasks/forecast/task';
import type { EvalMetricKey } from '../../tasks/metrics';
import { PAD, type Batch, type Example } from '../../tasks/types';
import type { MicroBatch } from './objective';

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
  /** The micro-batches `take` will give next, left in the stream (a compile-only warm-up's). */
  peek(): MicroBatch[];
  /** Tokens a micro-batch feeds the model: non-PAD input tokens, or variate tokens (rows × N). */
  tokens(b: MicroBatch): number;
  evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined, split: 'val' | 'test'): Promise<EvalFields>;
}

export interface StreamOptions {
  fixedBatch?: MicroBatch;
  /** Where a forecast task's CSV comes from. */
  series?: SeriesSource;
}

const inputTokens = (b: Batch) => [...(b.src ?? []), ...(b.tgtIn ?? [])].reduce((n, row) => n + row.filter((t) => t !== PAD).length, 0);

/** Copy, reverse, sort, addition: examples drawn from the seed, a held-out set that never overlaps training. */
export class TokenStream implements TaskStream {
  readonly validation: Example[];
  private readonly batches: Prefetcher<Batch[]>;

  constructor(private readonly run: RunConfig, startStep: number, fixed?: Batch) {
    const t = run.train;
    const layout = architecture(run.model);
    const data = createDataset(run.task, t.seed, { validationSize: t.validationSize });
    this.validation = data.validation;
    // A resumed run continues the data stream where it stopped, so resuming equals not stopping.
    if (!fixed) for (let s = 0; s < startStep; s++) data.nextTrain(t.batchSize);
    const k = t.gradAccumSteps;
    this.batches = new Prefetcher(() => {
      if (fixed) return splitBatchRows(fixed, k);
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
}

/** The forecast task: shuffled training windows by epoch, metrics on the host, both baselines alongside. */
export class ForecastStream implements TaskStream {
  readonly data: ForecastData;
  private readonly batches: Prefetcher<SeriesBatch[]>;
  private readonly baselines: Partial<Record<Split, BaselineErrors>> = {};
  private readonly linear: ReturnType<typeof fitLinearBaseline>;

  constructor(private readonly run: ForecastRunConfig, startStep: number, series: SeriesSource, fixed?: SeriesBatch) {
    const t = run.train;
    this.data = prepareForecastData(run.task, series(run.task));
    this.linear = fitLinearBaseline(this.data);
    const order = trainingOrder(this.data, t.seed);
    if (!fixed) for (let s = 0; s < startStep; s++) order.next(t.batchSize);
    const k = t.gradAccumSteps;
    this.batches = new Prefetcher(() => {
      const batch = fixed ?? windowBatch(this.data, order.next(t.batchSize));
      const per = batch.rows / k;
      if (!Number.isInteger(per)) throw new Error(`gradAccumSteps ${k} does not divide the batch's ${batch.rows} rows into equal micro-batches`);
      return Array.from({ length: k }, (_, i) => batchRows(batch, i * per, per));
    });
  }

  take = () => this.batches.take();
  peek = () => this.batches.peek();
  tokens = (b: MicroBatch) => (b as SeriesBatch).rows * (b as SeriesBatch).nVariates;

  /** The baselines' errors on a split (computed once). */
  baselineErrors(split: Split): BaselineErrors {
    return (this.baselines[split] ??= baselineErrors(this.data, split, this.linear));
  }

  async evaluate(p: ParamLookup, matMul: ForwardContext['matMul'] | undefined, split: 'val' | 'test'): Promise<EvalFields> {
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

/** The stream of a run's task: the one place the trainer's data is told apart by task. */
export function streamFor(run: LabRunConfig, startStep: number, opts: StreamOptions): TaskStream {
  if (isForecastRun(run)) {
    return new ForecastStream(run, startStep, opts.series ?? noSeries('no CSV or shipped series is available here'), opts.fixedBatch as SeriesBatch | undefined);
  }
  return new TokenStream(run, startStep, opts.fixedBatch as Batch | undefined);
}
