// @vitest-environment jsdom
import { act, cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/engine/runConfig';
import { TINY_CONFIG } from '../../src/ui/config/presets';
import type { Command, WorkerEvent } from '../../src/worker/protocol';
import { READY, renderLab } from './fakeLab';

beforeAll(() => {
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
});
afterEach(cleanup);

const lastOf = (sent: Command[], type: Command['type']) => sent.filter((c) => c.type === type).at(-1);

/** The error banner (fields have alerts of their own). */
const banner = () => document.querySelector<HTMLElement>('.banner-error');

/** A run started on WebGPU that checkpointed at step 4 and lost its device at 6. */
async function lostAt6() {
  const lab = renderLab(TINY_CONFIG);
  act(() => lab.emit(READY));
  await userEvent.click(screen.getByTestId('main-action'));
  const cmd = lab.sent.find((c) => c.type === 'start');
  const runId = cmd?.type === 'start' ? cmd.runId : '';
  const lost: WorkerEvent = {
    type: 'error', runId, kind: 'device-lost', message: 'The GPU device was lost (destroyed)', fatal: true, lastGoodStep: 4,
    suggestion: 'The GPU was reset. The weights of step 4 are kept: continue on another backend or retry on WebGPU from there, or export them.',
  };
  act(() => {
    lab.emit({ type: 'started', runId, config: parseRunConfig(TINY_CONFIG), parameterCount: 100, startStep: 0, targetSteps: 20, imported: false });
    lab.emit({ type: 'state', runId, state: 'running', step: 0, targetSteps: 20 });
    lab.emit({ type: 'checkpoint', runId, step: 4 });
    lab.emit(lost);
    lab.emit({ type: 'state', runId, state: 'failed', step: 6, targetSteps: 20, message: lost.type === 'error' ? lost.message : '' });
  });
  return { lab, runId };
}

describe('a lost device', () => {
  it('says what happened and offers to go on from the last checkpoint', async () => {
    await lostAt6();
    const alert = banner()!;
    expect(alert.textContent).toContain('The GPU device was lost');
    expect(alert.textContent).toContain('The weights of step 4 are kept');
    expect(screen.getByRole('button', { name: 'Continue on another backend' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Retry on WebGPU' })).toBeTruthy();
  });

  it('"Continue on another backend" sets up wasm, then resumes the run from its checkpoint to its target', async () => {
    const { lab, runId } = await lostAt6();
    await userEvent.click(screen.getByRole('button', { name: 'Continue on another backend' }));
    expect(lastOf(lab.sent, 'init')).toEqual({ type: 'init', backend: 'wasm' });
    expect(lastOf(lab.sent, 'resumeKept')).toBeUndefined(); // not before the backend is ready
    expect(banner()).toBeNull();
    act(() => lab.emit({ type: 'ready', runId: null, backend: 'wasm', attempts: [{ backend: 'wasm', ok: true }], isolated: true }));
    expect(lastOf(lab.sent, 'resumeKept')).toMatchObject({ type: 'resumeKept', runId, resumeTo: 20 });
  });

  it('"Retry on WebGPU" asks for WebGPU again, then resumes', async () => {
    const { lab, runId } = await lostAt6();
    await userEvent.click(screen.getByRole('button', { name: 'Retry on WebGPU' }));
    expect(lastOf(lab.sent, 'init')).toEqual({ type: 'init', backend: 'webgpu' });
    act(() => lab.emit(READY));
    expect(lastOf(lab.sent, 'resumeKept')).toMatchObject({ type: 'resumeKept', runId, resumeTo: 20 });
  });

  it('offers no backend switch for a diverged run', async () => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    act(() => lab.emit({ type: 'error', runId: 'x', kind: 'diverged', message: 'loss is NaN', suggestion: 'Lower the learning rate.', fatal: true, lastGoodStep: 2 }));
    expect(banner()).not.toBeNull();
    expect(screen.queryByRole('button', { name: 'Continue on another backend' })).toBeNull();
  });
});
