import { describe, expect, it } from 'vitest';
import { record, tinyWith } from './harness';

describe('the backend memory now', () => {
  it('answers measureMemory with the live tensors between runs, the same as after the last step; a release answers too', async () => {
    const r = record();
    await r.send({ type: 'start', runId: 'a', config: tinyWith({ steps: 6 }) });
    await r.waitFor('state', (e) => e.runId === 'a' && e.state === 'done');
    await r.send({ type: 'measureMemory' });
    const now = r.of('memoryNow').at(-1)!;
    expect(now.liveTensors).toBe(r.history('a').liveTensors.at(-1));
    expect(now.liveBytes).toBe(r.history('a').liveBytes.at(-1));
    expect(now.allocated).toBeUndefined(); // the cpu backend has no pool
    await r.send({ type: 'releaseCachedMemory' });
    expect(r.of('memoryNow')).toHaveLength(2);
    expect(r.of('memoryNow')[1]!.releasedBytes).toBeUndefined();
  });
});
