/*
 * What a task's evaluation reports, decided here once: the trainer fills these keys, the command
 * line prints them, the worker carries them, the page charts, summarises and compares them.
 */

export interface EvalMetricSpec {
  /** In command-line lines: `exact match 97.3%`. */
  label: string;
  /** On the page's charts and tables. */
  title: string;
  better: 'higher' | 'lower';
  /** `percent`: a share in [0, 1] shown as a percentage. */
  format: 'percent' | 'number';
}

/** Every metric an evaluation line may carry besides `loss`. */
export const EVAL_METRICS = {
  exactMatch: { label: 'exact match', title: 'Exact match', better: 'higher', format: 'percent' },
  tokenAccuracy: { label: 'token accuracy', title: 'Token accuracy', better: 'higher', format: 'percent' },
  bitsPerChar: { label: 'bits/char', title: 'Bits per character', better: 'lower', format: 'number' },
  mse: { label: 'MSE', title: 'MSE', better: 'lower', format: 'number' },
  mae: { label: 'MAE', title: 'MAE', better: 'lower', format: 'number' },
  repeatLastMse: { label: 'repeat-last MSE', title: 'Repeat-last MSE', better: 'lower', format: 'number' },
  linearMse: { label: 'linear MSE', title: 'Linear MSE', better: 'lower', format: 'number' },
  repeatLastMae: { label: 'repeat-last MAE', title: 'Repeat-last MAE', better: 'lower', format: 'number' },
  linearMae: { label: 'linear MAE', title: 'Linear MAE', better: 'lower', format: 'number' },
} as const satisfies Record<string, EvalMetricSpec>;

export type EvalMetricKey = keyof typeof EVAL_METRICS;

/**
 * The three kinds of evaluation:
 * - `answers` (copy, reverse, sort, addition): `loss` and `tokenAccuracy` teacher-forced over the
 *   answer, `exactMatch` by greedy decoding;
 * - `text`: `loss` in nats per token, `bitsPerChar` (total nats / ln 2 / characters covered) and
 *   `tokenAccuracy` over the validation windows, and a sample from a fixed prompt;
 * - `forecast`: `loss` = `mse`, and `mae`, on the standardised scale, computed on the host, with
 *   both baselines' on the same windows; the test split is evaluated too at the end.
 */
export type EvalKind = 'answers' | 'text' | 'forecast';

export interface EvalPlan {
  kind: EvalKind;
  /** The metrics of its evaluation lines besides `loss`, in the order they are printed. */
  metrics: readonly EvalMetricKey[];
  /** The metrics comparisons overlay and tabulate beside the validation loss. */
  compared: readonly EvalMetricKey[];
  /** The splits evaluated when a run reaches its last step. */
  finalSplits: readonly ('val' | 'test')[];
  /** Whether each evaluation line carries a sample of the model's writing. */
  sample: boolean;
}

const PLANS: Record<EvalKind, EvalPlan> = {
  answers: { kind: 'answers', metrics: ['exactMatch', 'tokenAccuracy'], compared: ['exactMatch'], finalSplits: ['val'], sample: false },
  text: { kind: 'text', metrics: ['bitsPerChar', 'tokenAccuracy'], compared: ['bitsPerChar'], finalSplits: ['val'], sample: true },
  forecast: {
    kind: 'forecast',
    metrics: ['mse', 'mae', 'repeatLastMse', 'linearMse', 'repeatLastMae', 'linearMae'],
    // Its validation loss is the MSE already.
    compared: ['mae'],
    finalSplits: ['val', 'test'],
    sample: false,
  },
};

/** A task's evaluation, by the task's name. */
export function evalPlanOf(taskName: string): EvalPlan {
  return PLANS[taskName === 'forecast' ? 'forecast' : taskName === 'text' ? 'text' : 'answers'];
}

/** The metrics a comparison of runs on these tasks shows: each task's, in one fixed order, without repeats. */
export function comparedMetrics(taskNames: Iterable<string>): EvalMetricKey[] {
  const wanted = new Set([...taskNames].flatMap((n) => evalPlanOf(n).compared));
  return (Object.keys(EVAL_METRICS) as EvalMetricKey[]).filter((k) => wanted.has(k));
}
