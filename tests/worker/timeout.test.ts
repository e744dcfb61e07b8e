import { afterEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from '../../src/worker/timeout';

afterEach(() => vi.useRealTimers());

describe('withTimeout', () => {
  it("gives the work's value, or its error, when it settles in time, and leaves no timer behind", async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve(7), 1000, 'late')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('broken')), 1000, 'late')).rejects.toThrow('broken');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with the message once the time is up, while the work is still pending', async () => {
    vi.useFakeTimers();
    const late = withTimeout(new Promise<never>(() => undefined), 1000, 'the GPU adapter did not finish setting up within 1 s');
    const outcome = expect(late).rejects.toThrow('the GPU adapter did not finish setting up within 1 s');
    await vi.advanceTimersByTimeAsync(999);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
    expect(vi.getTimerCount()).toBe(0);
  });
});
