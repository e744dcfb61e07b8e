import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseSeriesBatch } from '../../../src/engine/forecaster/batch';
import type { ForecasterConfig } from '../../../src/engine/forecaster/config';
import { forecast } from '../../../src/engine/forecaster/forward';
import { createContext } from '../../../src/engine/model/context';
import { TransformerModel } from '../../../src/engine/model/model';
import { isForecaster } from '../../../src/engine/modelKind';
import { parseOptimizerConfig } from '../../../src/engine/optim/config';
import { createOptimizer } from '../../../src/engine/optim/optimizers';
import { lossAndGrads } from '../../../src/engine/train/gradients';
import { seriesTensors } from '../../../src/engine/train/objective';
import { parseWeights } from '../../../src/engine/weights/format';
import { NODE_BACKENDS, onBackend, timeLimit } from '../../helpers/backends';
import { fixtureNames, fixtureValues, readFixture, relativeError, type FixtureTensor } from '../../helpers/fixtures';

interface ForecasterCase {
  case: string;
  weights: unknown;
  batch: unknown;
  loss: number;
  prediction: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  trajectories?: { optimizer: unknown; losses: number[] }[];
}

const CASES = fixtureNames('forecaster');
const read = (name: string) => readFixture<ForecasterCase>('forecaster', `${name}.json`);
function load(name: string) {
  const fixture = read(name);
  const weights = parseWeights(fixture.weights);
  if (!isForecaster(weights.config)) throw new Error(`${name} is not a forecaster`);
  const config: ForecasterConfig = weights.config;
  return { fixture, batch: parseSeriesBatch(fixture.batch, config), model: TransformerModel.fromValues(config, weights.tensors) };
}
const evalContext = () => createContext({ dropoutRate: 0, dropoutSeed: null });
/** |a − b| over max(1, |b|): the loss's error relative to its size. */
const lossError = (got: number, want: number) => Math.abs(got - want) / Math.max(1, Math.abs(want));

describe.each(NODE_BACKENDS)('forecaster parity with torch_reference.py LabForecaster on %s', (backend) => {
  it('covers useNorm, both norm placements and both activations', () => {
    expect(CASES).toEqual(['norm-postln-gelu', 'norm-postln-relu', 'norm-preln-gelu', 'norm-preln-relu', 'plain-postln-gelu', 'plain-postln-relu', 'plain-preln-gelu', 'plain-preln-relu']);
  });

  it.each(CASES)('%s: prediction, loss and every gradient within 1e-4', async (name) => {
    await onBackend(backend);
    const { fixture, batch, model } = load(name);
    try {
      const prediction = tf.tidy(() => forecast(evalContext(), model.lookup, model.config, seriesTensors(batch).x));
      expect(prediction.shape).toEqual(fixture.prediction.shape);
      expect(relativeError(await prediction.data(), fixtureValues(fixture.prediction))).toBeLessThan(1e-4);
      prediction.dispose();
      const { loss, grads } = lossAndGrads(model, [batch], evalContext);
      expect(lossError((await loss.data())[0]!, fixture.loss)).toBeLessThan(1e-4);
      expect([...grads.keys()]).toEqual(Object.keys(fixture.grads));
      for (const [param, g] of grads) {
        expect(relativeError(await g.data(), fixtureValues(fixture.grads[param]!)), `${name} grad of ${param}`).toBeLessThan(1e-4);
      }
      tf.dispose([loss, ...grads.values()]);
    } finally {
      model.dispose();
    }
  });

  const withTrajectories = CASES.filter((name) => read(name).trajectories);
  it('has trajectories on two cases', () => expect(withTrajectories).toHaveLength(2));

  it.each(withTrajectories)('%s: 10-step loss trajectories of SGD (Nesterov) and Adam within 1e-3', async (name) => {
    await onBackend(backend);
    for (const trajectory of read(name).trajectories!) {
      const { batch, model } = load(name);
      const cfg = parseOptimizerConfig(trajectory.optimizer);
      const optimizer = createOptimizer(cfg, model.list());
      const losses: number[] = [];
      for (let step = 0; step < trajectory.losses.length; step++) {
        const { loss, grads } = lossAndGrads(model, [batch], evalContext);
        optimizer.step(grads, cfg.lr);
        losses.push((await loss.data())[0]!);
        tf.dispose([loss, ...grads.values()]);
      }
      const worst = Math.max(...losses.map((l, i) => lossError(l, trajectory.losses[i]!)));
      expect(worst, `${name} ${cfg.name}: ${JSON.stringify(losses)}`).toBeLessThan(1e-3);
      optimizer.dispose();
      model.dispose();
    }
  }, timeLimit(backend));
});
