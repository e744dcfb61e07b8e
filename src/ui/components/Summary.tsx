import type { EvalMetrics } from '../../engine/train/events';
import type { EvalKind } from '../../tasks/metrics';
import { evalPlanOf } from '../../tasks/metrics';
import { useLabState } from '../lab/context';
import { integer, mibText, num, percent } from '../lab/format';
import { smooth } from '../lab/series';

type Item = [string, string];

/** The task's own figures, by its kind of evaluation (tasks/metrics.ts), from its validation lines (and a forecast's test line). */
const TASK_ITEMS: Record<EvalKind, (val: readonly EvalMetrics[], test: EvalMetrics | undefined) => Item[]> = {
  answers: (val) => {
    const last = val.at(-1);
    const best = val.reduce<number | undefined>((b, e) => (e.exactMatch !== undefined && (b === undefined || e.exactMatch > b) ? e.exactMatch : b), undefined);
    return [
      ['Exact match', `${percent(last?.exactMatch)}${best !== undefined && best !== last?.exactMatch ? ` (best ${percent(best)})` : ''}`],
      ['Token accuracy', percent(last?.tokenAccuracy)],
    ];
  },
  text: (val) => [
    ['Bits per character', num(val.at(-1)?.bitsPerChar, 3)],
    ['Token accuracy', percent(val.at(-1)?.tokenAccuracy)],
  ],
  forecast: (val, test) => {
    const last = val.at(-1);
    return [
      ['Val MSE', `${num(last?.mse, 4)} (linear ${num(last?.linearMse, 4)}, repeat-last ${num(last?.repeatLastMse, 4)})`],
      ['Val MAE', num(last?.mae, 4)],
      ...(test ? [['Test MSE', `${num(test.mse, 4)} (linear ${num(test.linearMse, 4)})`] as Item] : []),
      ['Evaluation peak', last?.evalPeakBytes !== undefined ? `${mibText(last.evalPeakBytes)}; targets kept on the host: ${mibText(last.hostTargetBytes)}` : '—'],
    ];
  },
};

/** The run's latest numbers at a glance, in the units the charts use. */
export function Summary() {
  const run = useLabState((s) => s.run);
  if (!run) return null;
  const m = run.metrics;
  const recent = m.loss.slice(-50);
  const smoothed = recent.length ? smooth(recent, 0.6).at(-1) : undefined;
  const peak = m.memory.peak.reduce<number | undefined>((a, b) => (Number.isFinite(b) && (a === undefined || b > a) ? b : a), undefined);
  const predicted = run.predicted?.bytes.peak;
  const parameters = run.parameterCount || run.predicted?.parameterCount;
  const val = m.evals.filter((e) => e.split === 'val');
  const test = m.evals.filter((e) => e.split === 'test').at(-1);
  const items: Item[] = [
    ['Parameters', parameters ? integer(parameters) : '—'],
    ['Train loss', num(smoothed, 4)],
    ['Val loss', num(val.at(-1)?.loss, 4)],
    ...TASK_ITEMS[evalPlanOf(run.config.task.name).kind](val, test),
    ['Tokens/s', num(m.last('tokensPerSec'))],
    ['Step time', m.length ? `${num(m.last('stepMs'))} ms` : '—'],
    ['Measured peak', `${mibText(peak)}${peak !== undefined && predicted !== undefined ? ` (predicted ${mibText(predicted)})` : ''}`],
  ];
  return (
    <dl className="summary" aria-label="Run summary">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
