/**
 * A run's training loop, between the session's commands: steps queued one at a time on the
 * session's chain, read back together (the trainer's read-back window), evaluations, the last good
 * weights, and how a loop that ends without failing settles. It works on the session only through
 * `LoopHost` (session.ts).
 */
import { fail, type FailureHost } from './failure';
import type { Hold } from './hold';
import type { RunState } from './protocol';
import { account, takeSnapshot, type Run } from './run';

/** What the loop may do to the session: all that failure handling may, and the hold and yields between steps. */
export interface LoopHost extends FailureHost {
  readonly hold: Hold;
  /** Lets queued commands run between steps. */
  yield(): Promise<void>;
}

/** The longest a run waits for the page to release a hold. */
const HOLD_MAX_MS = 5000;

/** Trains until the run leaves 'running' or reaches its target, then settles; a failure ends it (failure.ts). */
export async function trainLoop(host: LoopHost, r: Run): Promise<void> {
  try {
    while (r.state === 'running' && !r.failing && r.trainer && r.trainer.step < r.target) {
      // A quiet device while the page draws: nothing left queued on it.
      if (host.hold.requested && r.queued > 0) await host.exclusive(() => readBack(r));
      await host.hold.take(() => {
        r.recorder.flush(); // the page draws what has happened up to here
        host.post({ type: 'held', runId: r.id, step: r.trainer?.step ?? 0 });
      }, HOLD_MAX_MS);
      await host.exclusive(() => oneStep(host, r));
      await host.yield();
    }
    if (r.state === 'failed' || r.failing) return;
    await host.exclusive(() => settle(host, r));
  } catch (e) {
    fail(host, r, e);
  }
}

/**
 * Queues one step; reads the queued ones back when the window is full (`train.readbackEvery`),
 * before an evaluation and at the target. Between steps the loop yields, so a pause or a stop
 * lands at the next step boundary (and `settle` reads back what is still queued).
 */
async function oneStep(host: LoopHost, r: Run): Promise<void> {
  if (r.state !== 'running' || !r.trainer) return;
  await r.trainer.queueStep();
  r.queued++;
  const step = r.trainer.step;
  // Its last step, as configured or as far as it was asked to go (a resumed run's file keeps its first `steps`).
  const end = step === r.config.train.steps || step === r.target;
  const evaluates = end || step % r.config.train.evalEvery === 0;
  if (!evaluates && r.readOnce && r.queued < r.config.train.readbackEvery) return;
  await readBack(r);
  if ((r.state as RunState) === 'failed') return; // failed while the steps ran (device lost)
  if (evaluates) await evaluate(host, r, end);
  setPhase(r, 'training');
  r.recorder.tick();
}

/** Reads every queued step back (their step events reach the recorder); a diverged loss throws. */
export async function readBack(r: Run): Promise<void> {
  if (!r.trainer || r.queued === 0) return;
  r.queued = 0;
  r.readOnce = true;
  await r.trainer.flush();
}

/** The loop ended without failing: paused, stopped or finished. */
export async function settle(host: LoopHost, r: Run): Promise<void> {
  await readBack(r);
  account(r);
  const next: RunState = r.state === 'pausing' ? 'paused' : r.state === 'stopping' ? 'stopped' : 'done';
  if (next === 'stopped' && r.trainer && r.lastEvalStep !== r.trainer.step) await evaluate(host, r);
  if (r.trainer && r.snapshot?.step !== r.trainer.step) await snapshot(host, r);
  else await r.recorder.save();
  host.setState(r, next);
}

/** The validation split's metrics; `end`: every split that closes a run (a forecast's test split too). */
export async function evaluate(host: LoopHost, r: Run, end = false): Promise<void> {
  if (!r.trainer) throw new Error('this run has no live model to evaluate');
  await readBack(r);
  setPhase(r, 'evaluating');
  const m = end ? (await r.trainer.evaluateEnd())[0]! : await r.trainer.evaluate();
  r.lastEvalStep = m.step;
  if (Number.isFinite(m.loss)) await snapshot(host, r);
  setPhase(r, 'training');
}

/** Keeps the last good weights; for a kept run (`store`) they are stored too. */
export async function snapshot(host: LoopHost, r: Run, store = true): Promise<void> {
  if (r.state === 'failed') return; // failed meanwhile (a lost device): the last good weights stay
  await takeSnapshot(r);
  if (store) await host.storeCheckpoint(r);
}

/** What the run does now; the page hears of a change at once (after the metrics before it). */
export function setPhase(r: Run, phase: Run['phase']): void {
  if (r.phase === phase) return;
  r.phase = phase;
  r.recorder.flush();
}
