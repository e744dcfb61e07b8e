import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchTensors } from '../../src/engine/model/batchTensors';
import { createContext } from '../../src/engine/model/context';
import { forwardLogits } from '../../src/engine/model/forward';
import { TransformerModel } from '../../src/engine/model/model';
import { createOptimizer } from '../../src/engine/optim/optimizers';
import { parseOptimizerConfig } from '../../src/engine/optim/config';
import { lossAndGrads } from '../../src/engine/train/gradients';
import { parseBatch } from '../../src/engine/weights/batch';
import { parseWeights } from '../../src/engine/weights/format';
import { NODE_BACKENDS, onBackend, onSwiftShader } from '../helpers/backends';
import { fixtureNames, fixtureValues, maxAbsError, readFixture, relativeError, type FixtureTensor } from '../helpers/fixtures';
import { transformerConfig } from '../../src/engine/modelKind';

interface ParityCase {
  case: string;
  weights: unknown;
  batch: unknown;
  loss: number;
  logits: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  trajectories?: { optimizer: unknown; losses: number[] }[];
}

const CASES = fixtureNames('parity');
const load = (name: string) => {
  const fixture = readFixture<ParityCase>('parity', `${name}.json`);
  const weights = parseWeights(fixture.weights);
  const config = transformerConfig(weights.config);
  const batch = parseBatch(fixture.batch, config);
  return { fixture, weights, batch, model: TransformerModel.fromValues(config, weights.tensors) };
};
const evalContext = () => createContext({ dropoutRate: 0, dropoutSeed: null });

describe.each(NODE_BACKENDS)('parity with torch_reference.py on %s', (backend) => {
  it('covers every architecture, both norm placements, both activations and both position kinds', () => {
    expect(CASES).toHaveLength(24);
  });

  it.each(CASES)('%s: logits, loss and every gradient', async (name) => {
    await onBackend(backend);
    const { fixture, batch, model } = load(name);
    try {
      const logits = tf.tidy(() => forwardLogits(evalContext(), model.lookup, model.config, batchTensors(batch).tokens));
      expect(logits.shape).toEqual(fixture.logits.shape);
      expect(maxAbsError(await logits.data(), fixtureValues(fixture.logits))).toBeLessThan(1e-4);
      logits.dispose();

      const { loss, grads } = lossAndGrads(model, [batch], evalContext);
      expect(Math.abs((await loss.data())[0]! - fixture.loss)).toBeLessThan(1e-4);
      expect([...grads.keys()].sort()).toEqual(Object.keys(fixture.grads).sort());
      for (const [param, g] of grads) {
        const err = relativeError(await g.data(), fixtureValues(fixture.grads[param]!));
        expect(err, `${name} grad of ${param}`).toBeLessThan(1e-4);
      }
      tf.dispose([loss, ...grads.values()]);
    } finally {
      model.dispose();
    }
  });

  const withTrajectories = CASES.filter((name) => readFixture<ParityCase>('parity', `${name}.json`).trajectories);
  it('has trajectories for every architecture', () => expect(withTrajectories).toHaveLength(3));

  // SwiftShader runs a step of these models in seconds: there the first 3 steps of each
  // optimizer's trajectory (state created, then used) on one architecture; the other two
  // architectures' forward and gradients are checked above.
  it.each(withTrajectories)('%s: 20-step loss trajectories of every optimizer', async (name) => {
    await onBackend(backend);
    const shrink = onSwiftShader();
    if (shrink && name !== withTrajectories[0]) {
      console.log(`[parity] ${name}: trajectories left to cpu and wasm on SwiftShader (the forward and gradients ran above)`);
      return;
    }
    const { fixture } = load(name);
    for (const full of fixture.trajectories!) {
      const trajectory = shrink ? { ...full, losses: full.losses.slice(0, 3) } : full;
      const { weights, batch, model } = load(name);
      const cfg = parseOptimizerConfig(trajectory.optimizer);
      const optimizer = createOptimizer(cfg, model.list());
      const losses: number[] = [];
      for (let step = 0; step < trajectory.losses.length; step++) {
        const { loss, grads } = lossAndGrads(model, [batch], evalContext);
        optimizer.step(grads, cfg.lr);
        losses.push((await loss.data())[0]!);
        tf.dispose([loss, ...grads.values()]);
      }
      const worst = maxAbsError(losses, trajectory.losses);
      expect(worst, `${name} ${cfg.name}: ${JSON.stringify(losses)}`).toBeLessThan(1e-3);
      expect(weights.config).toEqual(model.config);
      optimizer.dispose();
      model.dispose();
    }
  }, 300_000);
});
