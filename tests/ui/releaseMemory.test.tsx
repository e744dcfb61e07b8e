// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryChart } from '../../src/ui/charts/MemoryChart';
import { LabContext } from '../../src/ui/lab/context';
import { LabController } from '../../src/ui/lab/controller';
import { RunMetrics } from '../../src/ui/lab/metrics';
import { LabStore } from '../../src/ui/lab/store';
import type { BackendName, Command, WorkerEvent } from '../../src/worker/protocol';

beforeAll(() => {
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
});
afterEach(cleanup);

const MiB = 2 ** 20;

/** The memory card of a finished run on `backend`, in a lab whose worker the test plays. */
function memoryCard(backend: BackendName) {
  const sent: Command[] = [];
  let listener: (e: WorkerEvent) => void = () => {};
  const store = new LabStore('auto', { later: (flush) => queueMicrotask(flush), soon: (flush) => flush() });
  const lab = new LabController({ post: (c) => sent.push(c), listen: (l) => (listener = l) }, store, () => {});
  const emit = (e: WorkerEvent) => act(() => {
    listener(e);
    store.flush();
  });
  emit({ type: 'ready', runId: null, backend, attempts: [{ backend, ok: true }], isolated: true });
  const m = new RunMetrics();
  for (let s = 1; s <= 3; s++) m.addMemory(s, { peak: 2 * MiB, backendInUse: MiB, ...(backend === 'webgpu' ? { backendAllocated: 3 * MiB } : {}) });
  render(
    <LabContext value={lab}>
      <MemoryChart metrics={m} version={m.version} x="step" empty="none" />
    </LabContext>,
  );
  return { sent, emit };
}

const bytes = (id: string) => Number(screen.getByTestId(id).getAttribute('data-bytes'));

describe('Release cached GPU memory', () => {
  it('on WebGPU, asks the worker to free the pool and shows the allocated bytes fall', async () => {
    const { sent, emit } = memoryCard('webgpu');
    expect(bytes('backend-allocated')).toBe(3 * MiB);
    expect(bytes('backend-in-use')).toBe(MiB);
    await userEvent.click(screen.getByRole('button', { name: 'Release cached GPU memory' }));
    expect(sent.at(-1)).toEqual({ type: 'releaseCachedMemory' });
    emit({ type: 'memoryNow', runId: null, liveTensors: 10, liveBytes: MiB, releasedBytes: 2 * MiB, inUse: MiB, allocated: MiB });
    expect(bytes('backend-allocated')).toBe(MiB);
    expect(screen.getByTestId('backend-allocated').textContent).toContain('2.00 MiB released');
  });

  it('is not offered on other backends', () => {
    memoryCard('wasm');
    expect(screen.queryByRole('button', { name: 'Release cached GPU memory' })).toBeNull();
  });
});
