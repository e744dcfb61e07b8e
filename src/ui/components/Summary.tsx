import { useLabState } from '../lab/context';
import { integer, mibText, num, percent } from '../lab/format';
import { smooth } from '../lab/series';

/** The run's latest numbers at a glance, in the units the charts use. */
export function Summary() {
  const run = useLabState((s) => s.run);
  if (!run) return null;
  const m = run.metrics;
  const last = m.evals.at(-1);
  const best = m.evals.reduce<number | undefined>((b, e) => (b === undefined || e.exactMatch > b ? e.exactMatch : b), undefined);
  const recent = m.loss.slice(-50);
  const smoothed = recent.length ? smooth(recent, 0.6).at(-1) : undefined;
  const peak = m.memory.peak.reduce<number | undefined>((a, b) => (Number.isFinite(b) && (a === undefined || b > a) ? b : a), undefined);
  const predicted = run.predicted?.bytes.peak;
  const parameters = run.parameterCount || run.predicted?.parameterCount;
  const items: [string, string][] = [
    ['Parameters', parameters ? integer(parameters) : '—'],
    ['Train loss', num(smoothed, 4)],
    ['Val loss', num(last?.loss, 4)],
    ['Exact match', `${percent(last?.exactMatch)}${best !== undefined && best !== last?.exactMatch ? ` (best ${percent(best)})` : ''}`],
    ['Token accuracy', percent(last?.tokenAccuracy)],
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
