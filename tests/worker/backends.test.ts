import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackendChain } from '../../src/worker/backends';

/**
 * The browser's backend chain, run in Node where only the last link holds: every backend before
 * it fails for a reason of its own, and the chain says which and why.
 */
describe('backend chain', () => {
  // The wasm runtime prints its failure to load its binary (there is no page to serve it here).
  beforeAll(() => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterAll(() => vi.restoreAllMocks());

  it('falls back in order and reports why each backend was passed over', async () => {
    const info = await initBackendChain('auto', () => {});
    expect(info.backend).toBe('cpu');
    expect(info.attempts.map((a) => [a.backend, a.ok])).toEqual([['webgpu', false], ['webgl', false], ['wasm', false], ['cpu', true]]);
    expect(info.attempts[0]!.reason).toBe('this browser has no WebGPU (navigator.gpu is missing)');
    expect(info.attempts[1]!.reason).toMatch(/\S/);
    expect(info.attempts[2]!.reason).toMatch(/wasm/); // its binary is the app's asset, which no server serves here
  }, 120_000);

  it('starts the chain at the requested backend', async () => {
    const info = await initBackendChain('cpu', () => {});
    expect(info.attempts).toEqual([
      { backend: 'webgpu', ok: false, reason: 'not tried: the cpu backend was requested' },
      { backend: 'webgl', ok: false, reason: 'not tried: the cpu backend was requested' },
      { backend: 'wasm', ok: false, reason: 'not tried: the cpu backend was requested' },
      { backend: 'cpu', ok: true },
    ]);
  });
});
