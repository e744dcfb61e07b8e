import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { differenceLabel, differencePoints, differingSettings } from '../../../src/ui/compare/series';
import { bestValues, sortRows, summaryRow } from '../../../src/ui/compare/summary';
import { TINY_CONFIG } from '../../../src/ui/config/presets';
import type { ShelfRun } from '../../../src/ui/lab/library';
import { RunMetrics } from '../../../src/ui/lab/metrics';

const config = (train: Record<string, unknown>) => parseRunConfig({ ...TINY_CONFIG, train: { ...TINY_CONFIG.train, ...train } });

function run(id: string, losses: number[], evalLoss: number, exact: number, extra: Partial<ShelfRun> = {}): ShelfRun {
  const m = new RunMetrics();
  losses.forEach((loss, step) => m.addStep({ step, loss, lr: 0.01, gradNorm: 1, tokensPerSec: 100 + step, stepMs: 1 }));
  m.addEval({ step: losses.length, split: 'val', loss: evalLoss, exactMatch: exact, tokenAccuracy: 0.5 });
  return { id, comparisonId: 'c', name: id, config: config({}), status: 'done', step: losses.length, targetSteps: losses.length, activeMs: 1000, createdAt: 0, metrics: m, ...extra };
}

describe('comparison summary', () => {
  it('names only the settings that differ', () => {
    const a = config({ precision: 'fp16' });
    const b = config({ optimizer: { name: 'adam', lr: 0.02 } });
    const differing = differingSettings([a, b]);
    expect(differing.sort()).toEqual(['train.optimizer.lr', 'train.precision']);
    expect(differenceLabel(b, ['train.optimizer.lr', 'train.precision'])).toBe('lr=0.02 · precision=fp32');
    expect(differingSettings([a, a])).toEqual([]);
  });

  it('marks the best value of each column, lower or higher as the column says, and sorts', () => {
    const rows = [run('a', [3, 2], 1.5, 0.2), run('b', [3, 1], 1.2, 0.6, { predictedPeak: 10 }), run('c', [3, 3], 2.0, 0.6, { predictedPeak: 20 })].map(summaryRow);
    const best = bestValues(rows);
    expect(best.finalValLoss).toBe(1.2);
    expect(best.exactMatch).toBe(0.6);
    expect(best.peakPredicted).toBe(10);
    expect(best.wallMs).toBeUndefined(); // all equal: nothing stands out
    expect(sortRows(rows, 'finalValLoss', false).map((r) => r.run.id)).toEqual(['b', 'a', 'c']);
    expect(sortRows(rows, 'peakPredicted', true).map((r) => r.run.id)).toEqual(['c', 'b', 'a']); // no value: last either way
  });

  it('takes differences against a baseline at the steps both have', () => {
    const base = run('base', [4, 4, 4, 4], 1, 0).metrics;
    const other = run('other', [3, 3, 3], 1, 0).metrics;
    const points = differencePoints('tokensPerSec', other, base);
    expect(points.map((p) => [p.step, p.v])).toEqual([[0, 0], [1, 0], [2, 0]]);
    for (const p of differencePoints('loss', other, base)) expect(p.v).toBeCloseTo(-1, 12);
  });
});
