// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { evalLines } from '../../src/cli/progress';
import { parseLabRunConfig, type LabRunConfig } from '../../src/engine/runConfig';
import type { EvalMetrics } from '../../src/engine/train/events';
import { comparedMetrics, evalPlanOf } from '../../src/tasks/metrics';
import { columnsFor, summaryRow } from '../../src/ui/compare/summary';
import { metricsFor, settingColumns } from '../../src/ui/compare/series';
import { PRESETS, TINY_CONFIG } from '../../src/ui/config/presets';
import { uiSeries } from '../../src/ui/forecast/files';
import type { ShelfRun } from '../../src/ui/lab/library';
import { RunMetrics } from '../../src/ui/lab/metrics';
import { comparisonFileText, parseComparisonFile } from '../../src/ui/storage/comparisonFile';
import { metricsEvent, READY, renderLab } from './fakeLab';

/*
 * The three kinds of evaluation (src/tasks/metrics.ts) side by side: one module decides what each
 * task's evaluation lines hold, and the command line, the page's charts, summary and try-it panel,
 * the comparisons and the comparison files all follow it.
 */

beforeAll(() => {
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
});
afterEach(cleanup);

const preset = (id: string) => PRESETS.find((p) => p.id === id)!.config;
const CONFIGS: Record<'answers' | 'text' | 'forecast', LabRunConfig> = {
  answers: parseLabRunConfig(TINY_CONFIG),
  text: parseLabRunConfig(preset('text-char')),
  forecast: parseLabRunConfig(preset('forecast'), uiSeries),
};
const EVALS: Record<keyof typeof CONFIGS, EvalMetrics[]> = {
  answers: [{ step: 10, split: 'val', loss: 0.5, exactMatch: 0.25, tokenAccuracy: 0.75 }],
  text: [{ step: 10, split: 'val', loss: 2.1, bitsPerChar: 3.03, tokenAccuracy: 0.31, sample: { prompt: 'Alice', text: ' was here' } }],
  forecast: [
    { step: 10, split: 'val', loss: 0.9, mse: 0.9, mae: 0.7, repeatLastMse: 1.7, linearMse: 0.93, repeatLastMae: 1, linearMae: 0.72, evalPeakBytes: 2 ** 20, hostTargetBytes: 4096 },
    { step: 10, split: 'test', loss: 0.6, mse: 0.6, mae: 0.5, repeatLastMse: 1.2, linearMse: 0.68, repeatLastMae: 0.9, linearMae: 0.55, evalPeakBytes: 2 ** 20, hostTargetBytes: 4096 },
  ],
};

function shelfRun(kind: keyof typeof CONFIGS): ShelfRun {
  const metrics = new RunMetrics();
  metrics.addStep({ step: 0, loss: 1, lr: 0.01, gradNorm: 1, tokensPerSec: 10, stepMs: 1 });
  for (const e of EVALS[kind]) metrics.addEval(e);
  return { id: kind, comparisonId: 'c', name: kind, config: CONFIGS[kind], status: 'done', step: 10, targetSteps: 10, activeMs: 1, createdAt: 0, metrics };
}

describe('one evaluation plan per task', () => {
  it('names each task’s kind, its metrics and what comparisons show of it', () => {
    expect(['copy', 'reverse', 'sort', 'addition'].map((n) => evalPlanOf(n).kind)).toEqual(['answers', 'answers', 'answers', 'answers']);
    expect(evalPlanOf('text')).toMatchObject({ kind: 'text', metrics: ['bitsPerChar', 'tokenAccuracy'], finalSplits: ['val'], sample: true });
    expect(evalPlanOf('forecast')).toMatchObject({ kind: 'forecast', finalSplits: ['val', 'test'], sample: false });
    expect(comparedMetrics(['forecast', 'text', 'reverse', 'text'])).toEqual(['exactMatch', 'bitsPerChar', 'mae']);
  });

  it('prints every kind’s evaluation lines on the command line, a text run’s sample on a line of its own', () => {
    expect(evalLines(EVALS.answers[0]!, 'reverse')).toEqual(['eval @10  val loss 0.5000  exact match 25.0%  token accuracy 75.0%']);
    expect(evalLines(EVALS.text[0]!, 'text')).toEqual(['eval @10  val loss 2.1000  bits/char 3.0300  token accuracy 31.0%', 'sample  "Alice" → " was here"']);
    expect(evalLines(EVALS.forecast[1]!, 'forecast')).toEqual([
      'eval @10  test loss 0.6000  MSE 0.6000  MAE 0.5000  repeat-last MSE 1.2000  linear MSE 0.6800  repeat-last MAE 0.9000  linear MAE 0.5500',
    ]);
  });

  it('compares each task’s own metric, from the validation lines only', () => {
    const keys = (...kinds: (keyof typeof CONFIGS)[]) => columnsFor(kinds.map(shelfRun)).map((c) => c.key);
    expect(keys('forecast')).toEqual(['finalValLoss', 'bestValLoss', 'mae', 'peakMeasured', 'peakPredicted', 'tokensPerSec', 'stepMs', 'wallMs', 'skipped']);
    expect(keys('answers', 'text', 'forecast').slice(0, 5)).toEqual(['finalValLoss', 'bestValLoss', 'exactMatch', 'bitsPerChar', 'mae']);
    expect(metricsFor([CONFIGS.text, CONFIGS.forecast])).toEqual(['loss', 'valLoss', 'bitsPerChar', 'mae', 'lr', 'gradNorm', 'lossScale', 'tokensPerSec', 'memory']);
    const row = summaryRow(shelfRun('forecast'));
    expect([row.finalValLoss, row.mae, row.exactMatch]).toEqual([0.9, 0.7, undefined]); // the test line is not the last validation
  });

  it('names the task knobs that differ between runs in the runs table: a text run’s tokenizer and context, a forecast’s window', () => {
    const withTask = (c: LabRunConfig, task: Record<string, unknown>) => ({ ...c, task: { ...c.task, ...task } }) as LabRunConfig;
    const text = settingColumns([CONFIGS.text, withTask(CONFIGS.text, { tokenizer: 'bpe', vocabSize: 300, contextLength: 48 })]);
    expect(text.map((c) => c.label)).toEqual(expect.arrayContaining(['tokenizer', 'vocabSize', 'contextLength']));
    const forecast = settingColumns([CONFIGS.forecast, withTask(CONFIGS.forecast, { lookback: 28 })]);
    expect(forecast.map((c) => [c.label, c.value(CONFIGS.forecast)])).toEqual([['lookback', String((CONFIGS.forecast.task as { lookback: number }).lookback)]]);
  });

  it('keeps every kind’s lines in a comparison file: samples, test splits, NaN as null', () => {
    const runs = (['answers', 'text', 'forecast'] as const).map(shelfRun);
    runs[1]!.metrics.addEval({ step: 20, split: 'val', loss: Number.NaN, bitsPerChar: Number.NaN, tokenAccuracy: 0 });
    const text = comparisonFileText({ id: 'c', name: 'kinds', createdAt: 0 }, runs.map((r) => ({ ...r, metrics: r.metrics.toData() })), []);
    let n = 0;
    const read = parseComparisonFile(text, (prefix) => `${prefix}-${++n}`);
    expect(read.runs.map((r) => r.config)).toEqual(runs.map((r) => r.config));
    const history = read.runs.map((r) => read.metrics.get(r.id)!);
    expect(history[1]!.evals[0]!.sample).toEqual({ prompt: 'Alice', text: ' was here' });
    expect(history[1]!.evals[1]!.bitsPerChar).toBeNaN();
    expect(history[2]!.evals).toEqual(EVALS.forecast);
  });
});

describe('the page draws each kind of run as its plan says', () => {
  const show = (kind: keyof typeof CONFIGS) => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    act(() => lab.emit({ type: 'started', runId: 'r', config: CONFIGS[kind], parameterCount: 100, startStep: 0, targetSteps: 10, imported: false }));
    act(() => lab.emit(metricsEvent('r', { steps: [{ step: 0, loss: 1, lr: 0.01, gradNorm: 1, tokensPerSec: 10, stepMs: 1 }], evals: EVALS[kind] })));
    return lab;
  };
  const charts = () => [...document.querySelectorAll('[data-chart]')].map((c) => c.getAttribute('data-chart'));
  const summary = () => [...document.querySelectorAll('dl[aria-label="Run summary"] dt')].map((t) => t.textContent);

  it('an example task: accuracies, exact match in the summary, the try-it input', async () => {
    show('answers');
    await waitFor(() => expect(charts()).toContain('accuracy'));
    expect(charts()).not.toContain('samples');
    expect(summary()).toContain('Exact match');
    expect(screen.getByRole('button', { name: 'Run' })).toBeTruthy();
  });

  it('a text run: its samples and bits per character, the sampler', async () => {
    show('text');
    await waitFor(() => expect(charts()).toEqual(expect.arrayContaining(['samples', 'bits-per-char'])));
    expect(charts()).not.toContain('accuracy');
    expect(summary()).toEqual(expect.arrayContaining(['Bits per character', 'Token accuracy']));
    expect(summary()).not.toContain('Exact match');
    expect(screen.getByTestId('sampler-prompt')).toBeTruthy();
  });

  it('a forecast run: MSE and MAE against the baselines, the test line in the summary, the forecast panel', async () => {
    show('forecast');
    await waitFor(() => expect(charts()).toEqual(expect.arrayContaining(['forecast-mse', 'forecast-mae'])));
    expect(charts()).not.toContain('accuracy');
    expect(summary()).toEqual(expect.arrayContaining(['Val MSE', 'Test MSE', 'Evaluation peak']));
    expect(screen.getByTestId('forecast-panel')).toBeTruthy();
  });

  it('offers every task in the config panel, each with its own source picker', () => {
    renderLab(preset('text-char'));
    const form = within(screen.getByRole('form', { name: 'Run configuration' }));
    const task = form.getByLabelText('Task', { exact: true }) as HTMLSelectElement;
    expect([...task.options].map((o) => o.value)).toEqual(expect.arrayContaining(['reverse', 'text', 'forecast']));
    expect(form.getByLabelText('Your text')).toBeTruthy();
    fireEvent.change(task, { target: { value: 'forecast' } });
    expect(form.getByLabelText('Series', { exact: true })).toBeTruthy();
    expect(form.queryByLabelText('Your text')).toBeNull();
  });
});
