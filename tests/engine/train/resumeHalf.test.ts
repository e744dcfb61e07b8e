import { beforeAll, expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { parseWeightsText } from '../../../src/engine/weights/format';
import { stringifyWeights } from '../../../src/engine/weights/stringify';
import { onBackend } from '../../helpers/backends';

beforeAll(() => onBackend('cpu'));

it('an fp16 run resumes exactly: weights, optimizer state and loss-scaler state travel in the file', async () => {
  const run = parseRunConfig({
    model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10 },
    task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 5 },
    train: { batchSize: 8, steps: 8, seed: 2, precision: 'fp16', lossScaler: { initScale: 2 ** 26, growthInterval: 2 }, validationSize: 8 },
  });
  const straight = Trainer.create(run);
  const stopped = Trainer.create(run);
  for (let i = 0; i < 4; i++) {
    await straight.trainStep();
    await stopped.trainStep();
  }
  const file = parseWeightsText(stringifyWeights(await stopped.weightsDocument('base64')));
  stopped.dispose();
  expect(file.extra.lossScalerState).toBeDefined();
  const resumed = Trainer.create(run, {
    init: file.tensors,
    optimizerState: file.extra.optimizerState,
    lossScalerState: file.extra.lossScalerState,
    startStep: (file.extra.training as { step: number }).step,
  });
  expect(resumed.step).toBe(4);
  for (let i = 0; i < 3; i++) {
    const [a, b] = [await straight.trainStep(), await resumed.trainStep()];
    expect(b).toMatchObject({ step: a.step, loss: a.loss, lossScale: a.lossScale, skipped: a.skipped });
  }
  straight.dispose();
  resumed.dispose();
});
