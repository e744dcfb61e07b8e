import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../../src/engine/train/trainer';
import { buildGrid, type GridSpec } from '../../../src/ui/compare/grid';
import { splitValues } from '../../../src/ui/compare/axes';
import { onBackend } from '../../helpers/backends';
import { messageOf, thrown } from '../../helpers/errors';

const BASE = {
  model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 8, dropout: 0.1 },
  task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 4 },
  train: { batchSize: 8, steps: 3, seed: 7, optimizer: { name: 'adam', lr: 0.01, betas: [0.9, 0.98] }, evalEvery: 3, validationSize: 8 },
};

const spec = (axes: GridSpec['axes']): GridSpec => ({ base: BASE, axes });

describe('grid builder', () => {
  beforeAll(() => onBackend('cpu'));

  it('makes every combination, named by what it varies', () => {
    const cells = buildGrid(spec([{ key: 'optimizer', values: 'adam, sgd(lr=0.1, momentum=0.9)' }, { key: 'precision', values: 'fp32, fp16' }]));
    expect(cells.map((c) => c.label)).toEqual(['adam · fp32', 'adam · fp16', 'sgd(lr=0.1, momentum=0.9) · fp32', 'sgd(lr=0.1, momentum=0.9) · fp16']);
    const sgd = cells[2]!.config.train.optimizer;
    expect(sgd).toMatchObject({ name: 'sgd', lr: 0.1, momentum: 0.9 });
    // The same optimizer keeps the base's arguments; another one starts from the base's rate only.
    expect(cells[0]!.config.train.optimizer).toMatchObject({ name: 'adam', lr: 0.01, betas: [0.9, 0.98] });
    expect(cells[1]!.config.train.precision).toBe('fp16');
  });

  it('gives every run the same model, task, batch size and seed', () => {
    const cells = buildGrid(spec([{ key: 'checkpointing', values: 'none, layers' }, { key: 'gradAccumSteps', values: '1, 4, 8' }]));
    expect(cells).toHaveLength(6);
    for (const c of cells) {
      expect(c.config.model).toEqual(cells[0]!.config.model);
      expect(c.config.task).toEqual(cells[0]!.config.task);
      expect(c.config.train.seed).toBe(7);
      expect(c.config.train.batchSize).toBe(8);
    }
    expect(cells.map((c) => [c.config.train.checkpointing, c.config.train.gradAccumSteps])).toEqual([
      ['none', 1], ['none', 4], ['none', 8], ['layers', 1], ['layers', 4], ['layers', 8],
    ]);
  });

  it('starts every run from the same initial weights', async () => {
    const cells = buildGrid(spec([{ key: 'optimizer', values: 'adam, sgd(lr=0.1)' }, { key: 'precision', values: 'fp32, fp16' }]));
    const docs = [];
    for (const c of cells) {
      const t = Trainer.create(c.config);
      docs.push(await t.weightsDocument('base64'));
      t.dispose();
    }
    for (const d of docs.slice(1)) expect(d.tensors).toEqual(docs[0]!.tensors);
  });

  it('refuses bad grids naming the field', () => {
    // A bad value is named once, in words, however many cells it is in.
    expect(messageOf(() => buildGrid(spec([{ key: 'precision', values: 'fp32, fp8' }, { key: 'optimizer', values: 'adam, sgd, rmsprop' }])))).toBe(
      'grid.axes.0.values: precision "fp8": must be one of "fp32", "fp16", "bf16" (got "fp8")',
    );
    expect(messageOf(() => buildGrid(spec([{ key: 'optimizer', values: 'adam, sgd(momentum=-1)' }])))).toBe('grid.axes.0.values: optimizer "sgd(momentum=-1)": momentum must be ≥ 0 (got -1)');
    expect(messageOf(() => buildGrid(spec([{ key: 'lr', values: '' }])))).toBe('grid.axes.0.values: list at least one learning rate (for example 0.001, 0.003, 0.01)');
    expect(messageOf(() => buildGrid(spec([{ key: 'lr', values: '0.1, 0.1' }])))).toBe('grid.axes.0.values: "0.1" is listed twice');
    expect(messageOf(() => buildGrid(spec([{ key: 'optimizer', values: 'sgd(lr=0.1' }])))).toBe('grid.axes.0.values: has a "(" without its ")"');
    expect(messageOf(() => buildGrid(spec([{ key: 'lr', values: '1' }, { key: 'lr', values: '2' }])))).toBe('grid.axes.1.key: varies learning rate twice; pick another setting');
    expect(messageOf(() => buildGrid({ base: BASE, axes: [{ key: 'seed', values: '1, 2' }] }))).toMatch(/^grid\.axes\.0\.key: must be one of "optimizer"/);
    expect(messageOf(() => buildGrid({ base: BASE, axes: [] }))).toMatch(/^grid\.axes: /);
    expect(messageOf(() => buildGrid(spec([{ key: 'gradAccumSteps', values: '3' }])))).toBe('grid.axes.0.values: accumulation steps "3": batchSize 8 is not divisible by gradAccumSteps 3');
    const bad = thrown(() => buildGrid({ base: { ...BASE, train: { ...BASE.train, batchSize: -1 } }, axes: [{ key: 'lr', values: '1' }] }));
    expect(bad.issues[0]!.path).toBe('grid.base.train.batchSize');
  });

  it('reads value lists with arguments', () => {
    expect(splitValues('adam, sgd(lr=0.1, momentum=0.9),  rmsprop ')).toEqual(['adam', 'sgd(lr=0.1, momentum=0.9)', 'rmsprop']);
    const [cell] = buildGrid(spec([{ key: 'optimizer', values: 'adamw(betas=0.9 0.95, weightDecay=0.1)' }]));
    expect(cell!.config.train.optimizer).toMatchObject({ name: 'adamw', betas: [0.9, 0.95], weightDecay: 0.1 });
  });

});
