import { useMemo } from 'react';
import { evalPlanOf } from '../../tasks/metrics';
import type { ExampleTaskConfig } from '../../tasks/types';
import { expectedAnswer } from '../../tasks/tryInput';
import { ForecastPanel } from '../forecast/ForecastPanel';
import { useLab, useLabState } from '../lab/context';
import { SamplerPanel } from '../text/SamplerPanel';
import { TryItPanel, type TryItResult } from '../tryit/TryItPanel';

/**
 * Trying the current run's live weights, as its task is evaluated (tasks/metrics.ts): an input and
 * the answer with its attention, a text's continuation (the sampler), or a forecaster's windows.
 */
export function TryIt() {
  // Only what it shows: a training run's batches do not redraw it.
  const task = useLabState((s) => s.run?.config.task);
  if (!task) {
    return (
      <section className="card tryit" aria-labelledby="tryit-empty">
        <h2 id="tryit-empty">Try it</h2>
        <p className="note">Start a run (or resume a kept one) to try the model on your own inputs.</p>
      </section>
    );
  }
  switch (evalPlanOf(task.name).kind) {
    case 'text': return <SamplerPanel />;
    case 'forecast': return <ForecastPanel />;
    case 'answers': return <AnswerTry task={task as ExampleTaskConfig} />;
  }
}

/** An example task's input, the model's greedy answer against the expected one, and the attention behind it. */
function AnswerTry({ task }: { task: ExampleTaskConfig }) {
  const lab = useLab();
  const live = useLabState((s) => s.run?.live === true);
  const inspection = useLabState((s) => s.inspection);
  const result = useMemo<TryItResult | undefined>(
    () => (inspection?.value ? { ...inspection.value, expected: expectedAnswer(task, inspection.value.input) } : undefined),
    [inspection?.value, task],
  );
  const waiting = inspection !== undefined && !inspection.value && !inspection.error;
  const error = !live ? 'this run has no live model: resume it, or import its weights' : inspection?.error;
  return <TryItPanel task={task} busy={waiting || !live} result={result} error={error} onRun={(tokens) => lab.inspect(tokens)} />;
}
