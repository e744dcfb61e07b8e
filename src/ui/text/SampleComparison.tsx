import { useId, useMemo, useState } from 'react';
import type { OverlayRun } from '../compare/OverlayChart';
import { num } from '../lab/format';

interface Props {
  runs: readonly OverlayRun[];
  /** Changes whenever any run's metrics grow. */
  version: string;
}

/**
 * Every text run's evaluation sample at one step, side by side (the same prompt and seed in
 * every run): what fp16, checkpointing or another optimizer did to what the model writes.
 */
export function SampleComparison({ runs, version }: Props) {
  const id = useId();
  const steps = useMemo(
    () => [...new Set(runs.flatMap((r) => r.metrics.evals.filter((e) => e.sample).map((e) => e.step)))].sort((a, b) => a - b),
    [runs, version],
  );
  const [chosen, setChosen] = useState<number>();
  const step = chosen !== undefined && steps.includes(chosen) ? chosen : steps.at(-1);
  if (step === undefined) return null;
  return (
    <section className="sample-comparison" aria-labelledby={`${id}-title`}>
      <div className="buttons">
        <h3 id={`${id}-title`}>Samples at step</h3>
        <label className="visually-hidden" htmlFor={`${id}-step`}>Step</label>
        <select id={`${id}-step`} value={step} onChange={(e) => setChosen(Number(e.target.value))}>
          {steps.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </div>
      <div className="sample-grid">
        {runs.map((r) => {
          const e = r.metrics.evals.find((x) => x.step === step && x.sample);
          return (
            <figure key={r.id} className="sample-card" data-run={r.label}>
              <figcaption><i className="swatch" style={{ background: r.color }} aria-hidden="true" />{r.label}{e ? ` · ${num(e.bitsPerChar, 3)} bits/char` : ''}</figcaption>
              {e?.sample ? <pre className="sample-text"><span className="sample-prompt">{e.sample.prompt}</span>{e.sample.text}</pre> : <p className="note">No sample at this step.</p>}
            </figure>
          );
        })}
      </div>
    </section>
  );
}
