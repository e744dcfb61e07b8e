import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { longestBatch, measureTrainingStep } from '../../../src/engine/bench/measure';
import { predictMemory } from '../../../src/engine/memory/predict';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { onBackend } from '../../helpers/backends';
import { ROOT } from '../../helpers/imports';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const preset = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'configs/text', name), 'utf8')) as { train: Record<string, unknown> };

beforeAll(() => onBackend('wasm'));

describe('the memory predictor on text runs', () => {
  it.each([
    ['char.json', {}],
    ['char.json', { precision: 'fp16' }],
    ['char.json', { checkpointing: 'layers', gradAccumSteps: 4 }],
    ['bpe.json', {}],
    ['diet.json', {}],
  ])('%s %j: within 15% of tf.profile’s peak of a training step', async (name, train) => {
    const raw = preset(name);
    const run = parseRunConfig({ ...raw, train: { ...raw.train, ...train } });
    const predicted = predictMemory(run);
    const measured = await measureTrainingStep(run, longestBatch(run, run.train.batchSize));
    const ratio = predicted.peak / measured.peak;
    console.log(`[predict] text/${name} ${JSON.stringify(train)}: predicted ${(predicted.peak / MiB).toFixed(2)} MiB, measured ${(measured.peak / MiB).toFixed(2)} MiB, ratio ${ratio.toFixed(4)}`);
    expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(0.15);
    expect(predicted.parameters).toBe(measured.memory.parameters);
    expect(predicted.optimizerState).toBe(measured.memory.optimizerState);
  }, 300_000);

  it('the larger preset fits only with its memory toggles: over the 4 GiB a wasm heap can hold without them, under 1 GiB with them', () => {
    const raw = preset('large.json');
    const shipped = predictMemory(parseRunConfig(raw));
    const plain = predictMemory(parseRunConfig({ ...raw, train: { ...raw.train, precision: 'fp32', checkpointing: 'none', gradAccumSteps: 1 } }));
    console.log(`[predict] text/large.json: ${(shipped.peak / GiB).toFixed(2)} GiB as shipped, ${(plain.peak / GiB).toFixed(2)} GiB without the toggles`);
    expect(plain.peak).toBeGreaterThan(4 * GiB);
    expect(shipped.peak).toBeLessThan(GiB);
  });
});
