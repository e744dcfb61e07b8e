// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/engine/runConfig';
import { MemoryChart } from '../../src/ui/charts/MemoryChart';
import { LabContext } from '../../src/ui/lab/context';
import { LabController } from '../../src/ui/lab/controller';
import { LabStore } from '../../src/ui/lab/store';
import { TINY_CONFIG } from '../../src/ui/config/presets';
import { RunMetrics } from '../../src/ui/lab/metrics';
import { appendMetrics, emptyMetrics } from '../../src/worker/metricsData';
import type { MemoryBreakdown, MemoryPrediction } from '../../src/worker/protocol';
import { READY, renderLab } from './fakeLab';

beforeAll(() => {
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
});
afterEach(cleanup);

const MiB = 2 ** 20;
const step = (host?: number): MemoryBreakdown => ({
  parameters: MiB, gradients: MiB, optimizerState: 2 * MiB, savedActivations: MiB, halfCopies: 0, other: MiB, peak: 6 * MiB, backendInUse: 4 * MiB,
  ...(host !== undefined ? { host } : {}),
});

function metricsWith(host?: number): RunMetrics {
  const m = new RunMetrics();
  for (let s = 1; s <= 3; s++) m.addMemory(s, step(host));
  return m;
}

/** The chart alone, in a lab whose worker hears nothing. */
function renderChart(m: RunMetrics, predicted: MemoryPrediction) {
  const store = new LabStore('auto', { later: (flush) => queueMicrotask(flush), soon: (flush) => flush() });
  const lab = new LabController({ post: () => {}, listen: () => {} }, store, () => {});
  render(
    <LabContext value={lab}>
      <MemoryChart metrics={m} version={m.version} x="step" empty="none" predicted={predicted} />
    </LabContext>,
  );
}

describe('host memory of offloaded runs', () => {
  it('draws a host band and a host figure, labelled as host memory, when a run offloads', () => {
    const m = metricsWith(3 * MiB);
    renderChart(m, { parameterCount: 10, partial: false, bytes: { peak: 6 * MiB, host: 3 * MiB } });
    expect(screen.getByText('host memory (offloaded, not on the device)')).toBeTruthy();
    expect(screen.getByTestId('host-memory').textContent).toBe('3.00 MiB (predicted 3.00 MiB)');
    expect(screen.getByText('Host memory (offloaded)')).toBeTruthy();
    // The device's measured peak does not count the host bytes.
    expect(screen.getByTestId('measured-peak').textContent).toBe('6.00 MiB');
  });

  it('shows no host band or figure for a run that does not offload', () => {
    const m = metricsWith();
    renderChart(m, { parameterCount: 10, partial: false, bytes: { peak: 6 * MiB } });
    expect(screen.queryByText('host memory (offloaded, not on the device)')).toBeNull();
    expect(screen.queryByTestId('host-memory')).toBeNull();
  });

  it('reads histories kept before the host column existed as NaN', () => {
    const old = emptyMetrics();
    old.memory.step.push(1, 2);
    old.memory.peak.push(1, 1);
    old.memory.inUse.push(1, 1);
    old.memory.allocated.push(Number.NaN, Number.NaN);
    for (const c of Object.keys(old.memory.categories) as (keyof typeof old.memory.categories)[]) old.memory.categories[c].push(0, 0);
    delete (old.memory as Partial<typeof old.memory>).host;
    const to = emptyMetrics();
    appendMetrics(to, old);
    expect(to.memory.host).toEqual([Number.NaN, Number.NaN]);
  });
});

const form = () => within(screen.getByRole('form', { name: 'Run configuration' }));
const field = (name: string) => form().getByLabelText(name, { exact: true }) as HTMLSelectElement;
const helpOf = (input: HTMLElement) => document.getElementById(input.getAttribute('aria-describedby')!.split(' ').find((x) => x.endsWith('-help'))!)!.textContent;

describe('offload in the config panel', () => {
  it('offers offload, says that it implies per-layer recompute, and sends it', async () => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    expect(field('Offload').value).toBe('none');
    expect(helpOf(field('Offload'))).toContain('host memory');
    expect(field('Checkpointing').selectedOptions[0]!.textContent).toBe('none');
    await userEvent.selectOptions(field('Offload'), 'activations');
    expect(field('Checkpointing').selectedOptions[0]!.textContent).toBe('none (per layer anyway when offloading)');
    expect(helpOf(field('Checkpointing'))).toBe('offloading moves the boundaries of recomputed segments to host memory, so “none” trains as “layers”');
    await userEvent.click(screen.getByTestId('main-action'));
    const cmd = lab.sent.find((c) => c.type === 'start');
    expect(cmd?.type === 'start' && parseRunConfig(cmd.config).train.offload).toBe('activations');
  });

  it("shows the predictor's host bytes beside the device peak", async () => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    await userEvent.selectOptions(field('Offload'), 'activations');
    const asked = () => lab.sent.filter((c) => c.type === 'predict').at(-1);
    await waitFor(() => expect((asked() as { config?: { train: { offload?: string } } } | undefined)?.config?.train.offload).toBe('activations'));
    const ask = asked();
    act(() => lab.emit({ type: 'prediction', runId: null, requestId: ask?.type === 'predict' ? ask.requestId : -1, prediction: { parameterCount: 10, partial: false, bytes: { peak: 6 * MiB, host: 2 * MiB } } }));
    expect(screen.getByTestId('predicted-host').textContent).toContain('2.00 MiB');
    expect(screen.getByTestId('predicted-host').textContent).toContain('Host memory (not on the device)');
  });
});
