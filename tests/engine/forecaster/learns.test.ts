import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { fileSeries } from '../../../src/cli/series';
import { parseLabRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import type { EvalMetrics } from '../../../src/engine/train/events';
import { onBackend } from '../../helpers/backends';
import { ROOT } from '../../helpers/imports';

it('the shipped forecast preset beats both baselines’ validation MSE on seattle-weather within its 400 steps (wasm)', async () => {
  await onBackend('wasm');
  const raw = JSON.parse(readFileSync(path.join(ROOT, 'configs', 'forecast', 'seattle-weather.json'), 'utf8')) as unknown;
  const run = parseLabRunConfig(raw, fileSeries());
  const trainer = Trainer.create(run, { series: fileSeries() });
  const evals: EvalMetrics[] = [];
  trainer.subscribe((e) => e.type === 'eval' && evals.push(e.metrics));
  try {
    await trainer.train();
  } finally {
    trainer.dispose();
  }
  const val = evals.filter((e) => e.split === 'val').at(-1)!;
  const test = evals.find((e) => e.split === 'test')!;
  const margin = (baseline: number) => `${(100 * (1 - val.mse! / baseline)).toFixed(1)}%`;
  console.log(
    `[forecast preset] step ${val.step}: val MSE ${val.mse!.toFixed(4)} (linear ${val.linearMse!.toFixed(4)}, ${margin(val.linearMse!)} lower; repeat-last ${val.repeatLastMse!.toFixed(4)}, ${margin(val.repeatLastMse!)} lower); ` +
      `test MSE ${test.mse!.toFixed(4)} (linear ${test.linearMse!.toFixed(4)}, repeat-last ${test.repeatLastMse!.toFixed(4)})`,
  );
  expect(val.step).toBe(400);
  expect(val.mse!).toBeLessThan(val.linearMse!);
  expect(val.mse!).toBeLessThan(val.repeatLastMse!);
}, 300_000);
