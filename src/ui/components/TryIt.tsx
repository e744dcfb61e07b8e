import { useMemo } from 'react';
import { expectedAnswer } from '../../tasks/tryInput';
import { useLab, useLabState } from '../lab/context';
import { SamplerPanel } from '../text/SamplerPanel';
import { TryItPanel, type TryItResult } from '../tryit/TryItPanel';

/** The try-it panel on the current run's live weights. */
export function TryIt() {
  const lab = useLab();
  const run = useLabState((s) => s.run);
  const inspection = useLabState((s) => s.inspection);
  const task = run?.config.task;
  const result = useMemo<TryItResult | undefined>(
    () => (inspection?.value && task && task.name !== 'text' ? { ...inspection.value, expected: expectedAnswer(task, inspection.value.input) } : undefined),
    [inspection?.value, task],
  );
  if (!run || !task) {
    return (
      <section className="card tryit" aria-labelledby="tryit-empty">
        <h2 id="tryit-empty">Try it</h2>
        <p className="note">Start a run (or resume a kept one) to try the model on your own inputs.</p>
      </section>
    );
  }
  if (task.name === 'text') return <SamplerPanel />;
  const waiting = inspection !== undefined && !inspection.value && !inspection.error;
  const error = !run.live ? 'this run has no live model: resume it, or import its weights' : inspection?.error;
  return <TryItPanel task={task} busy={waiting || !run.live} result={result} error={error} onRun={(tokens) => lab.inspect(tokens)} />;
}
