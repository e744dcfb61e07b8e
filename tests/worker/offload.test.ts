import { describe, expect, it } from 'vitest';
import { record, tinyWith } from './harness';

describe('an offloaded run in the worker', () => {
  it("sends the bytes waiting in host memory with every step's memory, and predicts them", async () => {
    const r = record();
    const config = tinyWith({ steps: 3, offload: 'activations' });
    await r.send({ type: 'predict', requestId: 1, config });
    const predicted = (await r.waitFor('prediction', (e) => e.requestId === 1)).prediction!;
    expect(predicted.bytes.host).toBeGreaterThan(0);
    await r.send({ type: 'start', runId: 'h', config });
    await r.waitFor('state', (e) => e.runId === 'h' && e.state === 'done');
    const host = r.history('h').memory.host;
    expect(host).toHaveLength(3);
    for (const bytes of host) expect(bytes).toBeGreaterThan(0);
  });

  it('sends none for a run that does not offload', async () => {
    const r = record();
    await r.send({ type: 'predict', requestId: 1, config: tinyWith({ steps: 2 }) });
    expect((await r.waitFor('prediction')).prediction!.bytes.host).toBeUndefined();
    await r.send({ type: 'start', runId: 'n', config: tinyWith({ steps: 2 }) });
    await r.waitFor('state', (e) => e.runId === 'n' && e.state === 'done');
    expect(r.history('n').memory.host.every(Number.isNaN)).toBe(true);
  });
});
