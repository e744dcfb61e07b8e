/**
 * What the run bar's main button does now, decided in one place: the button and the Space key
 * both call it. Start a run of the config in the panel; pause it; resume it while the worker
 * holds it; after the end, start a new one. A run restored after a reload resumes from its
 * banner (or the runs table): the main button always starts what the panel shows.
 */
import type { RunState } from '../../worker/protocol';
import type { Validation } from '../config/draft';
import type { LabController } from './controller';
import type { LabState } from './store';

export const LIVE_STATES: readonly RunState[] = ['starting', 'running', 'pausing', 'stopping'];

export interface MainAction {
  label: string;
  /** Why it cannot act now (it stays focusable, marked aria-disabled). */
  blocked?: string;
  run(): void;
}

export function mainAction(s: Pick<LabState, 'run' | 'backend'>, validation: Validation, lab: LabController, resumeTo?: number): MainAction {
  const run = s.run;
  const state = run?.state;
  if (state === 'running') return { label: 'Pause', run: () => lab.pause() };
  if (state === 'starting' || state === 'pausing' || state === 'stopping') return { label: state === 'starting' ? 'Pause' : 'Wait', blocked: `the run is ${state}`, run: () => {} };
  if (run && state === 'paused' && run.live) {
    const to = resumeTo ?? run.targetSteps;
    return to > run.step ? { label: 'Resume', run: () => lab.resume(to) } : { label: 'Resume', blocked: 'set a step to train to beyond the current one', run: () => {} };
  }
  const blocked = s.backend.status === 'choosing' ? 'choosing the fastest backend' : s.backend.status !== 'ready' ? 'waiting for the backend' : !validation.run ? 'fix the configuration first' : undefined;
  return { label: 'Start', ...(blocked ? { blocked } : {}), run: () => lab.start(validation.raw) };
}

/** Whether a key press happened where Space means something of its own (typing, a control). */
export function spaceBelongsTo(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  return target.closest('input, textarea, select, button, a[href], summary, [contenteditable=""], [contenteditable="true"], [role="button"], [role="slider"], [role="checkbox"]') !== null;
}
