import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { parseWeightsText } from '../../../src/engine/weights/format';
import { stringifyWeights } from '../../../src/engine/weights/stringify';
import { addText } from '../../../src/tasks/text/source';
import { onBackend } from '../../helpers/backends';

beforeAll(() => onBackend('cpu'));

addText({ file: 'lines.txt' }, Array.from({ length: 80 }, (_, i) => `line ${i}: ${'abcdefg'.slice(i % 7)} ÿ\n`).join(''));

const run = (tokenizer: 'char' | 'bpe', train: Record<string, unknown> = {}) =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, nDecoderLayers: 1, dFF: 32, maxLen: 16 },
    task: { name: 'text', file: 'lines.txt', tokenizer, vocabSize: 60, contextLength: 16 },
    train: { batchSize: 4, steps: 6, seed: 2, optimizer: { name: 'adamw', lr: 0.01 }, schedule: { name: 'cosine', warmupSteps: 2 }, gradAccumSteps: 2, ...train },
  });

describe('a text run', () => {
  it.each(['char', 'bpe'] as const)('%s: writes its tokenizer with the weights and resumes exactly from the file', async (kind) => {
    const straight = Trainer.create(run(kind));
    const stopped = Trainer.create(run(kind));
    for (let i = 0; i < 3; i++) {
      await straight.trainStep();
      await stopped.trainStep();
    }
    const saved = parseWeightsText(stringifyWeights(await stopped.weightsDocument('base64')));
    expect(saved.tokenizer?.toJson()).toEqual(stopped.textData().tokenizer.toJson());
    expect(saved.tokenizer?.kind).toBe(kind);
    stopped.dispose();
    const resumed = Trainer.create(run(kind), { init: saved.tensors, optimizerState: saved.extra.optimizerState, tokenizer: saved.tokenizer });
    expect(resumed.step).toBe(3);
    for (let i = 0; i < 3; i++) {
      const [a, b] = [await straight.trainStep(), await resumed.trainStep()];
      expect(b.loss).toBe(a.loss);
    }
    expect((await resumed.evaluate()).bitsPerChar).toBe((await straight.evaluate()).bitsPerChar);
    straight.dispose();
    resumed.dispose();
  });

  it('counts every position of its rows: tokens per second over batchSize × T tokens', async () => {
    const trainer = Trainer.create(run('char'));
    const m = await trainer.trainStep();
    expect(m.tokensPerSec * (m.stepMs / 1000)).toBeCloseTo(4 * 16, 6);
    trainer.dispose();
  });

  it('has no input to inspect', async () => {
    const trainer = Trainer.create(run('char'));
    await expect(trainer.inspect([3, 4])).rejects.toThrow('a text run has no input to inspect: sample from it instead');
    trainer.dispose();
  });
});
