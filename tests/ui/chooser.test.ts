import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeBackends, type ProbePort } from '../../src/ui/lab/chooser';
import { LabController } from '../../src/ui/lab/controller';
import { LabStore } from '../../src/ui/lab/store';
import type { BackendName, Command, WorkerEvent } from '../../src/worker/protocol';
import { TINY_CONFIG } from '../../src/ui/config/presets';

type Script = (post: (e: WorkerEvent) => void) => void;

/** Probe workers that answer as `scripts` say, one script per backend; records what happened to each. */
function fakeProbes(scripts: Partial<Record<BackendName, Script>>) {
  const ports: { backend?: BackendName; terminated: boolean }[] = [];
  const spawn = (): ProbePort => {
    const record: { backend?: BackendName; terminated: boolean } = { terminated: false };
    ports.push(record);
    let listener: (e: WorkerEvent) => void = () => {};
    return {
      listen: (l) => (listener = l),
      post: (cmd: Command) => {
        if (cmd.type !== 'probe') return;
        record.backend = cmd.backend;
        scripts[cmd.backend]?.((e) => !record.terminated && listener(e));
      },
      terminate: () => (record.terminated = true),
    };
  };
  return { spawn, ports };
}

const probed = (backend: BackendName, phase: 'ready' | 'warm' | 'timed' | 'failed', extra: object = {}): WorkerEvent => ({ type: 'probed', runId: null, backend, phase, ...extra });

const SWIFTSHADER = { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)', limits: {}, features: [] };

afterEach(() => vi.useRealTimers());

describe('timing the backends', () => {
  it('ends a software GPU that is still warming up at its deadline, and every worker it started', async () => {
    vi.useFakeTimers();
    const { spawn, ports } = fakeProbes({
      wasm: (post) => {
        post(probed('wasm', 'ready'));
        setTimeout(() => post(probed('wasm', 'warm')), 300);
        setTimeout(() => post(probed('wasm', 'timed', { ms: 40 })), 400);
      },
      webgpu: (post) => {
        post(probed('webgpu', 'ready', { adapter: SWIFTSHADER, software: true }));
        setTimeout(() => post(probed('webgpu', 'warm')), 4000); // SwiftShader compiling its shaders
      },
    });
    const progress: (BackendName | undefined)[] = [];
    const done = timeBackends(TINY_CONFIG, { spawn, onProgress: (p) => progress.push(p) });
    await vi.advanceTimersByTimeAsync(400);
    await vi.advanceTimersByTimeAsync(999);
    expect(ports.find((p) => p.backend === 'webgpu')!.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await done).toEqual([
      { backend: 'wasm', status: 'timed', ms: 40 },
      { backend: 'webgpu', status: 'slow', phase: 'warm-up', limitMs: 1000, software: true, adapter: 'SwiftShader Device (Subzero)' },
    ]);
    expect(progress).toEqual(['wasm', 'webgpu', undefined]);
    expect(ports.map((p) => p.terminated)).toEqual([true, true]);
  });

  it('times WebGL when WebGPU fails, and reports a worker that cannot start as failed', async () => {
    const { spawn } = fakeProbes({
      wasm: (post) => post({ type: 'error', runId: null, kind: 'other', message: 'the training worker failed: no script', suggestion: '', fatal: true }),
      webgpu: (post) => post(probed('webgpu', 'failed', { reason: 'no WebGPU adapter' })),
      webgl: (post) => [probed('webgl', 'ready'), probed('webgl', 'warm'), probed('webgl', 'timed', { ms: 90 })].forEach(post),
      cpu: (post) => [probed('cpu', 'ready'), probed('cpu', 'warm'), probed('cpu', 'timed', { ms: 900 })].forEach(post),
    });
    const done = await timeBackends(TINY_CONFIG, { spawn });
    expect(done.map((d) => [d.backend, d.status])).toEqual([['wasm', 'failed'], ['webgpu', 'failed'], ['webgl', 'timed'], ['cpu', 'timed']]);
  });
});

describe('the page before its first run', () => {
  it('sets up the fastest backend it timed, and shows the timings and the reason', async () => {
    const sent: Command[] = [];
    const store = new LabStore('auto', { later: (f) => queueMicrotask(f), soon: (f) => queueMicrotask(f) });
    const { spawn } = fakeProbes({
      wasm: (post) => [probed('wasm', 'ready'), probed('wasm', 'warm'), probed('wasm', 'timed', { ms: 30 })].forEach(post),
      webgpu: (post) => [probed('webgpu', 'ready', { adapter: SWIFTSHADER, software: true }), probed('webgpu', 'warm'), probed('webgpu', 'timed', { ms: 600 })].forEach(post),
    });
    const lab = new LabController({ post: (c) => sent.push(c), listen: () => {} }, store, () => {}, { spawnProbe: spawn });
    const choosing = lab.init('auto', TINY_CONFIG);
    expect(store.getState().backend.status).toBe('choosing');
    await choosing;
    expect(sent).toEqual([{ type: 'init', backend: 'wasm', chosen: true }]);
    const backend = store.getState().backend;
    expect(backend).toMatchObject({ status: 'starting', choice: 'auto' });
    expect(backend.probes!.map((p) => p.backend)).toEqual(['wasm', 'webgpu']);
    expect(backend.reason).toMatch(/^WebAssembly was fastest .* is a software one: it runs on the CPU\.$/);
  });

  it('does not time anything when a backend is asked for (?backend=)', async () => {
    const sent: Command[] = [];
    const spawn = vi.fn();
    const lab = new LabController({ post: (c) => sent.push(c), listen: () => {} }, new LabStore('webgpu'), () => {}, { spawnProbe: spawn });
    await lab.init('webgpu', TINY_CONFIG);
    expect(spawn).not.toHaveBeenCalled();
    expect(sent).toEqual([{ type: 'init', backend: 'webgpu' }]);
  });
});
