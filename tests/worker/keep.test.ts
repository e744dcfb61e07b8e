import { describe, expect, it } from 'vitest';
import { parseWeightsText } from '../../src/engine/weights/format';
import { record, TINY, tinyWith } from './harness';

/** What the page needs to keep runs and try them: checkpoints, resuming from one, inspections. */
describe('kept runs in the session (cpu backend)', () => {
  it('sends a checkpoint at the start, at every evaluation and at the end, only for kept runs', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'plain', config: TINY });
    await r.waitFor('state', (e) => e.state === 'done');
    expect(r.of('checkpoint')).toEqual([]);
    await r.send({ type: 'start', runId: 'k', config: TINY, keep: true });
    await r.waitFor('state', (e) => e.runId === 'k' && e.state === 'done');
    const checkpoints = r.of('checkpoint', 'k');
    expect(checkpoints.map((c) => c.step)).toEqual([0, 3, 6]);
    const last = parseWeightsText(checkpoints.at(-1)!.text);
    expect(last.extra.training).toMatchObject({ step: 6 });
    expect(last.extra.optimizerState).toMatchObject({ name: 'adam', step: 6 });
  });

  it('resumes a kept run from a checkpoint to its target, exactly as the uninterrupted run', async () => {
    const straight = record();
    await straight.send({ type: 'start', runId: 's', config: tinyWith({ steps: 8, evalEvery: 4 }) });
    await straight.waitFor('state', (e) => e.state === 'done');
    const interrupted = record();
    await interrupted.send({ type: 'start', runId: 'i', config: tinyWith({ steps: 8, evalEvery: 4 }), keep: true });
    await interrupted.waitFor('state', (e) => e.state === 'done');
    const at4 = interrupted.of('checkpoint', 'i').find((c) => c.step === 4)!;
    const resumed = record();
    await resumed.send({ type: 'importWeights', runId: 'i', text: at4.text, config: {}, keep: true, resumeTo: 8 });
    await resumed.waitFor('state', (e) => e.state === 'done');
    expect(resumed.of('started', 'i')[0]).toMatchObject({ startStep: 4, targetSteps: 8 });
    expect(resumed.of('step', 'i').map((e) => e.metrics.loss)).toEqual(straight.of('step', 's').slice(4).map((e) => e.metrics.loss));
  });

  it('answers an inspection with the greedy output and attention maps, and refuses one without a run', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'a', config: TINY });
    await r.waitFor('state', (e) => e.state === 'done');
    await r.send({ type: 'inspect', runId: 'a', requestId: 3, input: [3, 4, 5] });
    const answer = await r.waitFor('inspected');
    expect(answer).toMatchObject({ runId: 'a', requestId: 3, inspection: { input: [3, 4, 5] } });
    expect(answer.inspection.maps.map((m) => m.kind)).toEqual(['encoder-self', 'decoder-self', 'cross']);
    await r.send({ type: 'inspect', runId: 'nope', requestId: 4, input: [3] });
    expect((await r.waitFor('error')).message).toMatch(/no run "nope"/);
  });
});
