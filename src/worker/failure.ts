/**
 * Ending a run that cannot go on (a lost device, an allocation error, a diverged or broken step):
 * the cause named, the last good weights kept where they can be, the page told. It works on the
 * session only through `FailureHost`.
 */
import { BackendFailure, classify } from './errors';
import { predictedPeak } from './predict';
import type { RunState, WorkerEvent } from './protocol';
import { account, release, takeSnapshot, type Run } from './run';
import { withTimeout } from './timeout';
import { stringifyWeights } from '../engine/weights/stringify';

/** What the failure handling may do to the session (session.ts). */
export interface FailureHost {
  post(e: WorkerEvent): void;
  /** Runs `work` on the session's chain, after everything queued before it. */
  exclusive(work: () => Promise<void>): Promise<void>;
  /** Forgets what is queued on the session's chain: a step in flight on a lost device may never settle. */
  dropChain(): void;
  setState(r: Run, state: RunState, message?: string): void;
  /** Stores a kept run's snapshot and tells the page which step is saved. */
  storeCheckpoint(r: Run): Promise<void>;
}

/** The longest reading the weights back after an allocation error may take (a broken device may never answer). */
const KEEP_AT_TROUBLE_MS = 10_000;
/** How long a failed step waits for the device watcher to name the cause (a lost device's reads just abort). */
const CAUSE_GRACE_MS = 200;

/**
 * Ends a run that cannot go on. A step that fails on a lost device throws something vague (a
 * read aborted): the device watcher names the cause a moment later, so the run waits a little
 * for it before saying what happened. After an allocation error the live weights may still be
 * readable: they become the checkpoint (when finite). A lost device's are gone: the last stored
 * checkpoint stays, and no one waits for the step that was in flight on it (it may never settle).
 */
export function fail(host: FailureHost, r: Run, e: unknown): void {
  if (r.state === 'failed' || r.failing) return;
  const failing = (r.failing = { cause: e });
  account(r);
  void new Promise((resolve) => setTimeout(resolve, e instanceof BackendFailure ? 0 : CAUSE_GRACE_MS))
    .then(() => {
      const cause = failing.cause;
      const lost = classify(cause).kind === 'device-lost';
      if (lost) host.dropChain();
      const thrownOom = !lost && !(cause instanceof BackendFailure) && classify(cause).kind === 'oom';
      return thrownOom && r.trainer ? host.exclusive(() => keepAtTrouble(host, r)) : undefined;
    })
    .then(() => {
      const cause = failing.cause;
      void r.recorder.save();
      const c = classify(cause, r.config, predictedPeak, r.snapshot?.step);
      host.post({ type: 'error', runId: r.id, ...c, fatal: true, ...(r.snapshot ? { lastGoodStep: r.snapshot.step } : {}) });
      host.setState(r, 'failed', c.message);
      // A lost device's buffers are gone with it: its tensors are dropped, not freed.
      if (c.kind === 'device-lost') r.trainer = undefined;
      else release(r);
    });
}

/** The live weights as the checkpoint, when they can still be read and are finite; else the last one stays. */
async function keepAtTrouble(host: FailureHost, r: Run): Promise<void> {
  try {
    await withTimeout(takeSnapshot(r), KEEP_AT_TROUBLE_MS, `no answer within ${KEEP_AT_TROUBLE_MS} ms`);
  } catch {
    return; // unreadable or not finite
  }
  await host.storeCheckpoint(r);
}

/**
 * The backend reported a lost device or an OOM after it was set up. A failing run learns from it
 * the cause of what its step threw; a run with a live model fails; else, unless the run failed
 * already, the page hears of it as such.
 */
export function backendFailed(host: FailureHost, r: Run | undefined, f: BackendFailure): void {
  if (r?.failing && r.state !== 'failed') r.failing.cause = f; // the cause of what the step threw
  else if (r && r.state !== 'failed' && r.trainer) fail(host, r, f);
  else if (!r || r.state !== 'failed') host.post({ type: 'error', runId: r?.id ?? null, ...classify(f), fatal: true });
}

/** The last good weights the session still holds for a run that failed (a lost device's: maybe newer than the stored ones). */
export function snapshotOf(r: Run | undefined, runId: string): { step: number; text: string } | undefined {
  return r?.id === runId && r.state === 'failed' && r.snapshot ? { step: r.snapshot.step, text: stringifyWeights(r.snapshot.doc) } : undefined;
}
