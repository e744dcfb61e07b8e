/**
 * The held-out metrics each task's evaluation reports, decided here once: the trainer computes
 * these, the command line prints them, the page charts them.
 */
import type { TaskConfig } from './types';

export const EVAL_METRICS = {
  loss: { label: 'val loss', better: 'lower', percent: false },
  exactMatch: { label: 'exact match', better: 'higher', percent: true },
  tokenAccuracy: { label: 'token accuracy', better: 'higher', percent: true },
  bitsPerChar: { label: 'bits/char', better: 'lower', percent: false },
} as const satisfies Record<string, { label: string; better: 'lower' | 'higher'; percent: boolean }>;

export type EvalMetricKey = keyof typeof EVAL_METRICS;

/**
 * - copy, reverse, sort, addition: `loss` and `tokenAccuracy` teacher-forced over the answer,
 *   `exactMatch` by greedy decoding;
 * - text: `loss` in nats per token, `bitsPerChar` (total nats / ln 2 / characters covered) and
 *   `tokenAccuracy` over the validation windows.
 */
export function evalMetricKeys(task: TaskConfig): readonly EvalMetricKey[] {
  return task.name === 'text' ? ['loss', 'bitsPerChar', 'tokenAccuracy'] : ['loss', 'exactMatch', 'tokenAccuracy'];
}
