import { useEffect, useRef, useState } from 'react';
import type { Validation } from '../config/draft';
import { numberOf } from '../config/draft';
import { useLab, useLabState } from '../lab/context';
import { duration, num } from '../lab/format';
import { LIVE_STATES, mainAction, spaceBelongsTo } from '../lab/runActions';
import type { RunView } from '../lab/store';
import { TokenizingProgress } from '../text/TokenizingProgress';
import { BackendStatus } from './BackendStatus';

interface Props {
  validation: Validation;
}

/**
 * Steps a second at this session's pace so far: steps done over training time, evaluations and
 * the pauses the charts take to draw included (what the ETA needs); undefined before a step.
 */
function stepsPerSecond(run: RunView): number | undefined {
  const from = run.paceFrom;
  if (!from || run.step <= from.step || run.activeMs <= from.activeMs) return undefined;
  return ((run.step - from.step) / (run.activeMs - from.activeMs)) * 1000;
}

/** The state in words: an imported file waiting at its step is "loaded", a run restored after a reload says how it was left. */
function stateLabel(run: RunView): string {
  if (run.restored) return run.restored.status;
  if (run.imported && run.state === 'paused' && run.step === run.startStep) return 'loaded';
  if (run.state === 'running' && run.phase !== 'training') return run.phase;
  return run.state;
}

/**
 * The sticky run bar: the main action (Start, Pause, Resume) with Stop and Evaluate, where the
 * run stands (step, time, ETA, steps/s), and the backend it trains on. Its buttons stay
 * focusable whatever the state (aria-disabled), so focus never drops to the page after a click;
 * Space does the main action when focus is not in a control.
 */
export function RunBar({ validation }: Props) {
  const lab = useLab();
  const run = useLabState((s) => s.run);
  const backend = useLabState((s) => s.backend);
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
  const action = mainAction({ run, backend }, validation, lab, validTarget ? (target as number) : run?.step);
  const actionRef = useRef(action);
  actionRef.current = action;
  const mainButton = useRef<HTMLButtonElement>(null);
  const bar = useRef<HTMLDivElement>(null);

  // Sticky things below the bar (the config column, an error banner) sit under it, however tall it wraps.
  useEffect(() => {
    const el = bar.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => document.documentElement.style.setProperty('--runbar-height', `${el.offsetHeight}px`));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== ' ' || e.repeat || e.ctrlKey || e.metaKey || e.altKey || spaceBelongsTo(e.target)) return;
      e.preventDefault(); // not a page scroll
      if (!actionRef.current.blocked) actionRef.current.run();
      mainButton.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  // The training clock ticks between the worker's progress reports.
  const [now, setNow] = useState(() => performance.now());
  const running = state === 'running';
  useEffect(() => {
    if (!running) return;
    const id = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(id);
  }, [running]);
  const elapsed = run ? run.activeMs + (running ? Math.max(0, now - run.activeAt) : 0) : 0;

  const canStop = state === 'running' || state === 'paused' || state === 'pausing';
  const canEvaluate = run?.live === true && !live;
  const guard = (ok: boolean, f: () => void) => () => ok && f();
  const rate = run && running ? stepsPerSecond(run) : undefined;
  const left = run ? run.targetSteps - run.step : 0;
  const eta = rate !== undefined && left > 0 ? (left / rate) * 1000 : undefined;
  const fraction = run && run.targetSteps > 0 ? run.step / run.targetSteps : 0;
  const firstStep = running && run!.metrics.length === 0 && run!.startStep === run!.step;
  return (
    <div ref={bar} className="runbar" id="run-bar" tabIndex={-1} role="region" aria-label="Run">
      <div className="runbar-row">
        <div className="controls" role="group" aria-label="Run controls">
          <button ref={mainButton} type="button" className="primary" data-testid="main-action" aria-disabled={action.blocked ? true : undefined} title={action.blocked} onClick={guard(!action.blocked, action.run)}>
            {action.label}
          </button>
          <button type="button" aria-disabled={!canStop || undefined} onClick={guard(canStop, () => lab.stop())}>Stop</button>
          <button type="button" aria-disabled={!canEvaluate || undefined} onClick={guard(canEvaluate, () => lab.evaluate())}>Evaluate</button>
          {resumable && (
            <span className="until">
              <label htmlFor="until-step">Train to step</label>
              <input id="until-step" type="text" inputMode="numeric" value={until} onChange={(e) => setUntil(e.target.value)} aria-invalid={!validTarget || undefined} />
              {state !== 'paused' && (
                <button type="button" aria-disabled={!validTarget || undefined} onClick={guard(validTarget, () => lab.resume(target as number))}>Continue</button>
              )}
            </span>
          )}
        </div>
        <BackendStatus validation={validation} busy={live || state === 'paused'} />
      </div>
      {run ? (
        <div className="progress">
          <div className="bar" role="progressbar" aria-label="Training progress" aria-valuemin={0} aria-valuemax={run.targetSteps} aria-valuenow={run.step} aria-valuetext={`step ${run.step} of ${run.targetSteps}`}>
            <div className="fill" style={{ width: `${Math.min(100, fraction * 100)}%` }} />
          </div>
          <div className="progress-text">
            <span className={`state state-${run.restored?.status ?? run.state}`}>{stateLabel(run)}</span>
            <span>step <strong data-testid="step">{run.step}</strong>{stateLabel(run) === 'loaded' ? '' : ` / ${run.targetSteps}`}</span>
            <span className="elapsed">training time {duration(elapsed)}</span>
            <span>ETA {eta === undefined ? '—' : duration(eta)}</span>
            <span data-testid="steps-per-second">{rate === undefined ? '— steps/s' : `${num(rate)} steps/s`}</span>
            {firstStep && <span className="note">the first step compiles the kernels and takes longest</span>}
          </div>
        </div>
      ) : (
        <p className="progress idle">No run yet: pick a config and press Start (or Space).</p>
      )}
      <TokenizingProgress />
    </div>
  );
}
