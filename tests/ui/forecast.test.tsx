// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ForecastInspection } from '../../src/engine/eval/forecastInspect';
import { parseLabRunConfig } from '../../src/engine/runConfig';
import { draftFrom, toRaw, validate } from '../../src/ui/config/draft';
import { PRESETS } from '../../src/ui/config/presets';
import { buildGrid } from '../../src/ui/compare/grid';
import { droppedFiles, uiSeries } from '../../src/ui/forecast/files';
import { metricsEvent, READY, renderLab } from './fakeLab';

beforeAll(() => {
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
});
afterEach(cleanup);

const PRESET = PRESETS.find((p) => p.id === 'forecast')!.config;
const CSV = ['t,load,temp', ...Array.from({ length: 80 }, (_, i) => `${i},${Math.sin(i / 3).toFixed(4)},${(i % 7) + 0.5}`)].join('\n');
const form = () => within(screen.getByRole('form', { name: 'Run configuration' }));

describe('forecasts in the page', () => {
  it('the shipped forecast preset round-trips through the config panel’s draft', () => {
    const run = parseLabRunConfig(PRESET, uiSeries);
    expect(validate(draftFrom(PRESET)).run).toEqual(run);
    expect(validate(draftFrom(run)).run).toEqual(run);
    expect(toRaw(draftFrom(PRESET)).model).toMatchObject({ kind: 'forecaster' });
  });

  it('a dropped CSV: the panel checks it with the engine, and Start sends its text along', async () => {
    const lab = renderLab(PRESET);
    act(() => lab.emit(READY));
    expect(screen.getByText('valid')).toBeTruthy();
    fireEvent.change(form().getByLabelText('Series'), { target: { value: 'csv' } });
    expect(screen.queryByText('valid')).toBeNull(); // no file yet
    const file = new File([CSV], 'load.csv', { type: 'text/csv' });
    fireEvent.change(form().getByLabelText('Drop a CSV here, or choose one'), { target: { files: [file] } });
    await screen.findByText(/load\.csv: 80 rows/);
    const lookback = form().getByLabelText('Lookback (rows)', { exact: true });
    fireEvent.change(lookback, { target: { value: '60' } });
    expect(screen.getByText(/80 rows are too few for one window of lookback 60/)).toBeTruthy();
    fireEvent.change(lookback, { target: { value: '8' } });
    fireEvent.change(form().getByLabelText('Horizon (rows)', { exact: true }), { target: { value: '4' } });
    expect(screen.getByText('valid')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    const start = lab.sent.find((c) => c.type === 'start')!;
    expect(start).toMatchObject({ files: { 'load.csv': CSV }, config: { task: { name: 'forecast', csv: 'load.csv', lookback: 8, horizon: 4 } } });
    droppedFiles.clear();
  });

  it('charts MSE against both baselines, scrubs through windows, shows the forecast and the attention map', async () => {
    const lab = renderLab(PRESET);
    act(() => lab.emit(READY));
    const config = parseLabRunConfig(PRESET, uiSeries);
    act(() => lab.emit({ type: 'started', runId: 'r', config, parameterCount: 100, startStep: 0, targetSteps: 400, imported: false }));
    act(() => lab.emit(metricsEvent('r', { evals: [{ step: 100, split: 'val', loss: 0.95, mse: 0.95, mae: 0.7, linearMse: 0.935, repeatLastMse: 1.71, linearMae: 0.7, repeatLastMae: 1 }] })));
    await screen.findByText('Validation MSE and baselines');
    expect(screen.getByText('linear 0.935')).toBeTruthy();
    const ask = lab.sent.filter((c) => c.type === 'inspectWindow').at(-1) as { requestId: number; split: string; index: number };
    expect(ask).toMatchObject({ split: 'val', index: 0 });
    const n = 4;
    const grid = (steps: number) => Array.from({ length: steps }, (_, s) => Array.from({ length: n }, (_, j) => s * 0.1 + j));
    const inspection: ForecastInspection = {
      split: 'val', index: 0, windows: 90, row: 1022, columns: (config.task as { columns: string[] }).columns,
      history: grid(56), truth: grid(28), prediction: grid(28), mean: [0, 0, 0, 0], std: [1, 1, 1, 1],
      attention: [0, 1].map((layer) => ({ layer, heads: [0, 1].map(() => Array.from({ length: n }, () => Array.from({ length: n }, () => 1 / n))) })),
    };
    act(() => lab.emit({ type: 'inspectedWindow', runId: 'r', requestId: ask.requestId, inspection }));
    const panel = within(screen.getByTestId('forecast-panel'));
    expect(panel.getByText('Window 1 of 90 (targets from row 1024)')).toBeTruthy();
    expect(panel.getAllByTestId('attention-heatmap')).toHaveLength(2);
    fireEvent.change(panel.getByRole('slider'), { target: { value: '5' } });
    expect(lab.sent.filter((c) => c.type === 'inspectWindow').at(-1)).toMatchObject({ split: 'val', index: 5 });
  });

  it('a comparison grid varies a forecaster’s training settings like a token model’s', () => {
    const cells = buildGrid({ base: PRESET, axes: [{ key: 'precision', values: 'fp32, fp16' }, { key: 'checkpointing', values: 'none, layers' }] });
    expect(cells.map((c) => c.label)).toEqual(['fp32 · none', 'fp32 · layers', 'fp16 · none', 'fp16 · layers']);
    const base = parseLabRunConfig(PRESET, uiSeries);
    for (const c of cells) expect([c.config.model, c.config.task]).toEqual([base.model, base.task]);
    expect(cells[3]!.config.train).toMatchObject({ precision: 'fp16', checkpointing: 'layers' });
  });
});
