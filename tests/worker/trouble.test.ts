import { describe, expect, it } from 'vitest';
import { BackendFailure } from '../../src/worker/errors';
import type { Session } from '../../src/worker/session';
import { record, tinyWith } from './harness';

/** The live trainer of the session's current run (to make its next step fail). */
const trainerOf = (s: Session) => (s as unknown as { current: { trainer: { queueStep(): Promise<void> } } }).current.trainer;

describe('a run whose device fails', () => {
  it('after a lost device, resumes on another backend from the last good weights and reaches its target', async () => {
    const r = record();
    const config = tinyWith({ steps: 400, evalEvery: 2 });
    await r.send({ type: 'start', runId: 'l', config, keep: true });
    await r.waitFor('progress', (e) => e.step >= 3 && e.phase === 'training');
    r.failBackend(new BackendFailure('device-lost', 'the GPU device was lost (destroyed)'));
    const err = await r.waitFor('error');
    expect(err).toMatchObject({ runId: 'l', kind: 'device-lost', fatal: true, message: 'The GPU device was lost (destroyed)' });
    expect(err.suggestion).toContain(`The weights of step ${err.lastGoodStep} are kept`);
    await r.waitFor('state', (e) => e.state === 'failed');
    await r.send({ type: 'init', backend: 'cpu' });
    await r.send({ type: 'resumeKept', runId: 'l', config, resumeTo: 12 });
    const started = r.of('started', 'l').at(-1)!;
    expect(started).toMatchObject({ startStep: err.lastGoodStep, targetSteps: 12, imported: true });
    await r.waitFor('state', (e) => e.state === 'done' && e.step === 12);
  });

  it('after an allocation error thrown in a step, keeps the live weights as the checkpoint', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'o', config: tinyWith({ steps: 400, evalEvery: 100 }), keep: true });
    await r.waitFor('progress', (e) => e.step >= 5 && e.phase === 'training');
    const trainer = trainerOf(r.session);
    trainer.queueStep = () => Promise.reject(new Error('Failed to allocate 1 GiB: out of memory'));
    const err = await r.waitFor('error');
    expect(err).toMatchObject({ runId: 'o', kind: 'oom', fatal: true });
    const kept = r.of('checkpoint', 'o').at(-1)!;
    expect(kept.step).toBeGreaterThanOrEqual(5);
    expect(err.lastGoodStep).toBe(kept.step);
    expect(r.events.indexOf(kept)).toBeLessThan(r.events.indexOf(err));
  });
});
