import { useLabState } from '../lab/context';
import { bytes, integer, num, percent } from '../lab/format';
import { smooth } from '../lab/series';

/** The run's latest numbers at a glance. */
export function Summary() {
  const run = useLabState((s) => s.run);
  if (!run) return null;
  const m = run.metrics;
  const last = m.evals.at(-1);
  const text = run.config.task.name === 'text';
  const best = m.evals.reduce<number | undefined>((b, e) => (e.exactMatch !== undefined && (b === undefined || e.exactMatch > b) ? e.exactMatch : b), undefined);
  const recent = m.loss.slice(-50);
  const smoothed = recent.length ? smooth(recent, 0.6).at(-1) : undefined;
  const peak = m.memory.inUse.reduce((a, b) => Math.max(a, b), 0);
  const items: [string, string][] = [
    ['Parameters', integer(run.parameterCount)],
    ['Train loss', num(smoothed, 4)],
    ['Val loss', num(last?.loss, 4)],
    text ? ['Bits per character', num(last?.bitsPerChar, 3)] : ['Exact match', `${percent(last?.exactMatch)}${best !== undefined && best !== last?.exactMatch ? ` (best ${percent(best)})` : ''}`],
    ['Token accuracy', percent(last?.tokenAccuracy)],
    ['Tokens/s', num(m.last('tokensPerSec'))],
    ['Step time', m.length ? `${num(m.last('stepMs'))} ms` : '—'],
    ['Backend peak in use', m.memory.step.length ? bytes(peak) : '—'],
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
