import { memo, useMemo } from 'react';
import { ChartCard } from '../charts/ChartCard';
import type { RunMetrics } from '../lab/metrics';
import { num } from '../lab/format';

interface Props {
  metrics: RunMetrics;
  version: number;
  /** Shown while there is no sample yet. */
  empty: string;
}

/**
 * A text run's samples, one per evaluation (the same prompt and seed each time), newest first:
 * gibberish turning into words as bits per character fall.
 */
export const SampleTimeline = memo(function SampleTimeline({ metrics, version, empty }: Props) {
  const samples = useMemo(
    () => metrics.evals.flatMap((e) => (e.sample ? [{ step: e.step, bitsPerChar: e.bitsPerChar, ...e.sample }] : [])).reverse(),
    [metrics, version],
  );
  const latest = samples[0];
  const summary = latest ? `${samples.length} samples, one per evaluation; the latest at step ${latest.step}, ${num(latest.bitsPerChar, 3)} bits per character.` : 'No sample yet.';
  return (
    <ChartCard id="samples" title="Samples as it learns" empty={samples.length === 0 ? empty : undefined} summary={summary} text>
      <ol className="sample-timeline" aria-label="Samples by step">
        {samples.map((s) => (
          <li key={s.step} data-step={s.step}>
            <div className="sample-meta">step {s.step} · {num(s.bitsPerChar, 3)} bits/char</div>
            <pre className="sample-text"><span className="sample-prompt">{s.prompt}</span>{s.text}</pre>
          </li>
        ))}
      </ol>
    </ChartCard>
  );
});
