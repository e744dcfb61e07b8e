import { useMemo } from 'react';
import { expectedAnswer } from '../../tasks/tryInput';
import { useLab, useLabState } from '../lab/context';
import { TryItPanel, type TryItResult } from '../tryit/TryItPanel';

/** The try-it panel on the current run's live weights. */
export function TryIt() {
  const lab = useLab();
  // Only what it shows: a training run's batches do not redraw it.
  const task = useLabState((s) => s.run?.config.task);
  const live = useLabState((s) => s.run?.live === true);
  const inspection = useLabState((s) => s.inspection);
  const result = useMemo<TryItResult | undefined>(
    () => (inspection?.value && task ? { ...inspection.value, expected: expectedAnswer(task, inspection.value.input) } : undefined),
    [inspection?.value, task],
  );
  if (!task) {
    return (
      <section className="card tryit" aria-labelledby="tryit-empty">
        <h2 id="tryit-empty">Try it</h2>
        <p className="note">Start a run (or resume a kept one) to try the model on your own inputs.</p>
      </section>
    );
  }
  const waiting = inspection !== undefined && !inspection.value && !inspection.error;
  const error = !live ? 'this run has no live model: resume it, or import its weights' : inspection?.error;
  return <TryItPanel task={task} busy={waiting || !live} result={result} error={error} onRun={(tokens) => lab.inspect(tokens)} />;
}
