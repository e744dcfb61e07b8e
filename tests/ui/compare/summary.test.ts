import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { differenceLabel, differencePoints, differingSettings, settingColumns } from '../../../src/ui/compare/series';
import { bestRows, sortRows, summaryRow, type ColumnKey, type SummaryRow } from '../../../src/ui/compare/summary';
import { TINY_CONFIG } from '../../../src/ui/config/presets';
import type { ShelfRun } from '../../../src/ui/lab/library';
import { RunMetrics } from '../../../src/ui/lab/metrics';

const config = (train: Record<string, unknown>) => parseRunConfig({ ...TINY_CONFIG, train: { ...TINY_CONFIG.train, ...train } });

function run(id: string, losses: number[], evalLoss: number, exact: number, extra: Partial<ShelfRun> = {}, stepMs = (_: number) => 1): ShelfRun {
  const m = new RunMetrics();
  losses.forEach((loss, step) => m.addStep({ step, loss, lr: 0.01, gradNorm: 1, tokensPerSec: 100 + step, stepMs: stepMs(step) }, step === 0));
  m.addEval({ step: losses.length, split: 'val', loss: evalLoss, exactMatch: exact, tokenAccuracy: 0.5 });
  return { id, comparisonId: 'c', name: id, config: config({}), status: 'done', step: losses.length, targetSteps: losses.length, activeMs: 1000, createdAt: 0, metrics: m, ...extra };
}

const best = (rows: SummaryRow[], key: ColumnKey) => [...(bestRows(rows)[key] ?? [])].sort();

describe('comparison summary', () => {
  it('names only the settings that differ, an optimizer as one setting with only its own arguments', () => {
    const a = config({ precision: 'fp16' });
    const b = config({ optimizer: { name: 'adam', lr: 0.02 } });
    expect(differingSettings([a, b]).sort()).toEqual(['train.optimizer.lr', 'train.precision']);
    const columns = settingColumns([a, b]);
    expect(columns.map((c) => c.label)).toEqual(['lr', 'precision']);
    expect(differenceLabel(b, columns)).toBe('lr=0.02 · precision=fp32');
    expect(differingSettings([a, a])).toEqual([]);

    // Adam against SGD with momentum: one "optimizer" column, not a column per default of each.
    const adam = config({ optimizer: { name: 'adam', lr: 0.01 } });
    const sgd = config({ optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 } });
    const sgdPlain = config({ optimizer: { name: 'sgd', lr: 0.1 } });
    const grouped = settingColumns([adam, sgd, sgdPlain]);
    expect(grouped.map((c) => c.label)).toEqual(['optimizer']);
    expect([adam, sgd, sgdPlain].map((c) => grouped[0]!.value(c))).toEqual(['adam(lr=0.01)', 'sgd(lr=0.1, momentum=0.9)', 'sgd(lr=0.1)']);
  });

  it('marks the best value of each column, lower or higher as the column says, and sorts', () => {
    const rows = [run('a', [3, 2], 1.5, 0.2), run('b', [3, 1], 1.2, 0.6, { predictedPeak: 10 * 2 ** 20 }), run('c', [3, 3], 2.0, 0.6, { predictedPeak: 20 * 2 ** 20 })].map(summaryRow);
    expect(best(rows, 'finalValLoss')).toEqual(['b']);
    expect(best(rows, 'exactMatch')).toEqual(['b', 'c']); // a tie: a star each
    expect(best(rows, 'peakPredicted')).toEqual(['b']);
    expect(bestRows(rows).wallMs).toBeUndefined(); // a total: no star
    expect(sortRows(rows, 'finalValLoss', false).map((r) => r.run.id)).toEqual(['b', 'a', 'c']);
    expect(sortRows(rows, 'peakPredicted', true).map((r) => r.run.id)).toEqual(['c', 'b', 'a']); // no value: last either way
  });

  it('counts values that read the same as a tie', () => {
    const rows = [run('a', [3], 1.23454, 0.5), run('b', [3], 1.23451, 0.5), run('c', [3], 1.3, 0.5)].map(summaryRow);
    expect(best(rows, 'finalValLoss')).toEqual(['a', 'b']); // both read 1.235
    expect(bestRows(rows).exactMatch).toBeUndefined(); // all read the same: nothing stands out
  });

  it('leaves each session’s first (warm-up) step out of step time and throughput', () => {
    // The first run of a grid pays the kernels' compile on its first step.
    const first = summaryRow(run('first', [3, 2, 2, 2], 1, 0, {}, (s) => (s === 0 ? 500 : 10)));
    const second = summaryRow(run('second', [3, 2, 2, 2], 1, 0, {}, () => 10));
    expect(first.stepMs).toBe(10);
    expect(second.stepMs).toBe(10);
    expect(first.tokensPerSec).toBe(second.tokensPerSec);
  });

  it('takes differences against a baseline at the steps both have', () => {
    const base = run('base', [4, 4, 4, 4], 1, 0).metrics;
    const other = run('other', [3, 3, 3], 1, 0).metrics;
    const points = differencePoints('tokensPerSec', other, base);
    expect(points.map((p) => [p.step, p.v])).toEqual([[0, 0], [1, 0], [2, 0]]);
    for (const p of differencePoints('loss', other, base)) expect(p.v).toBeCloseTo(-1, 12);
  });
});
