import { useEffect, useState } from 'react';
import { useLabState } from '../lab/context';
import { duration } from '../lab/format';

const PHASE: Record<string, string> = { training: 'training', evaluating: 'evaluating', exporting: 'exporting' };

/** Steps done, elapsed training time (pauses excluded) and the time left at the recent pace. */
export function ProgressBar() {
  const run = useLabState((s) => s.run);
  const [now, setNow] = useState(() => performance.now());
  const running = run?.state === 'running';
  useEffect(() => {
    if (!running) return;
    const id = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(id);
  }, [running]);
  if (!run) return <div className="progress idle">No run yet: pick a config and press Start.</div>;
  const elapsed = run.activeMs + (running ? Math.max(0, now - run.activeAt) : 0);
  const done = run.step - run.startStep;
  const left = run.targetSteps - run.step;
  const eta = running && done > 0 ? (elapsed / done) * left : undefined;
  const fraction = run.targetSteps > 0 ? run.step / run.targetSteps : 0;
  const label = run.state === 'running' ? PHASE[run.phase] : run.state;
  const firstStep = running && run.metrics.length === 0 && run.startStep === run.step;
  return (
    <div className="progress">
      <div className="bar" role="progressbar" aria-label="Training progress" aria-valuemin={0} aria-valuemax={run.targetSteps} aria-valuenow={run.step} aria-valuetext={`step ${run.step} of ${run.targetSteps}`}>
        <div className="fill" style={{ width: `${Math.min(100, fraction * 100)}%` }} />
      </div>
      <div className="progress-text">
        <span className={`state state-${run.state}`}>{label}</span>
        <span>step <strong data-testid="step">{run.step}</strong> / {run.targetSteps}</span>
        <span>elapsed {duration(elapsed)}</span>
        <span>ETA {running ? duration(eta) : '—'}</span>
        {firstStep && <span className="note">the first step compiles the kernels and takes longest</span>}
      </div>
    </div>
  );
}
