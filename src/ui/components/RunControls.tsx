import { useEffect, useState } from 'react';
import type { RunState } from '../../worker/protocol';
import type { Validation } from '../config/draft';
import { numberOf } from '../config/draft';
import { useLab, useLabState } from '../lab/context';

export const LIVE_STATES: readonly RunState[] = ['starting', 'running', 'pausing', 'stopping'];

interface Props {
  validation: Validation;
}

/**
 * Start, Pause, Resume, Stop and Evaluate, each enabled only when it can act. A paused or
 * finished run goes on to the step in "Train to step" (Resume, or Continue once it is done).
 */
export function RunControls({ validation }: Props) {
  const lab = useLab();
  const run = useLabState((s) => s.run);
  const backendReady = useLabState((s) => s.backend.status === 'ready');
  const state = run?.state;
  const live = state !== undefined && LIVE_STATES.includes(state);
  const resumable = run !== undefined && run.live && (state === 'paused' || state === 'done' || state === 'stopped');
  const [until, setUntil] = useState('');
  // A fresh suggestion whenever the run stops somewhere: where it was headed, or as far again.
  useEffect(() => {
    if (!run || !resumable) return;
    setUntil(String(run.targetSteps > run.step ? run.targetSteps : run.step + Math.max(1, run.targetSteps - run.startStep)));
  }, [run?.id, state]); // only when the run or its state changes, not on every step
  const target = numberOf(until);
  const validTarget = typeof target === 'number' && Number.isInteger(target) && run !== undefined && target > run.step;
  const startHint = !backendReady ? 'waiting for the backend' : !validation.run ? 'fix the configuration first' : undefined;
  return (
    <div className="controls" role="group" aria-label="Run controls">
      <button type="button" className="primary" disabled={live || state === 'paused' || !validation.run || !backendReady} onClick={() => lab.start(validation.raw)} title={startHint}>
        Start
      </button>
      <button type="button" disabled={state !== 'running'} onClick={() => lab.pause()}>Pause</button>
      <button type="button" disabled={!(state === 'paused' && resumable && validTarget)} onClick={() => lab.resume(target as number)}>Resume</button>
      <button type="button" disabled={!(state === 'running' || state === 'paused' || state === 'pausing')} onClick={() => lab.stop()}>Stop</button>
      <button type="button" disabled={!run?.live || live} onClick={() => lab.evaluate()}>Evaluate</button>
      {resumable && (
        <span className="until">
          <label htmlFor="until-step">Train to step</label>
          <input id="until-step" type="text" inputMode="numeric" value={until} onChange={(e) => setUntil(e.target.value)} aria-invalid={!validTarget || undefined} />
          {state !== 'paused' && <button type="button" disabled={!validTarget} onClick={() => lab.resume(target as number)}>Continue</button>}
        </span>
      )}
    </div>
  );
}
