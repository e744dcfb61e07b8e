import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/engine/config';
import { paramSpecs } from '../../src/engine/params';
import { parseRunConfig } from '../../src/engine/runConfig';
import { messageOf } from '../helpers/errors';

const base = { srcVocabSize: 9, tgtVocabSize: 9, dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10 };

describe('model config', () => {
  it('fills the reference defaults', () => {
    expect(parseModelConfig(base)).toEqual({
      ...base, dropout: 0, activation: 'relu', normFirst: true, positional: 'sinusoidal', layerNormEps: 1e-5,
    });
  });

  it.each([
    [{ dModel: 30, nHeads: 4 }, 'model.dModel: dModel 30 is not divisible by nHeads 4'],
    [{ dModel: 15, nHeads: 1 }, 'model.dModel: dModel 15 must be even'],
    [{ nEncoderLayers: 0, nDecoderLayers: 0 }, 'model.nEncoderLayers: a model needs encoder or decoder layers: nEncoderLayers and nDecoderLayers are both 0'],
    [{ dropout: 1 }, 'model.dropout: must be < 1 (got 1)'],
    [{ nHeads: 2.5 }, 'model.nHeads: must be an integer (got 2.5)'],
    [{ activation: 'swish' }, 'model.activation: must be one of "relu", "gelu" (got "swish")'],
    [{ colour: 'red' }, 'model: unknown field "colour"'],
    [{ srcVocabSize: undefined }, 'model.srcVocabSize: srcVocabSize is required when the model has encoder layers'],
    [{ maxLen: '10' }, 'model.maxLen: must be number (got "10")'],
  ])('%j is refused with a message naming the field', (change, message) => {
    expect(messageOf(() => parseModelConfig({ ...base, ...change }))).toBe(message);
  });

  it('reports every bad field at once', () => {
    expect(messageOf(() => parseModelConfig({ ...base, dFF: 0, layerNormEps: -1 }))).toBe('model.dFF: must be ≥ 1 (got 0)\nmodel.layerNormEps: must be > 0 (got -1)');
  });

  it('names parameters exactly as PyTorch does for each architecture', () => {
    const names = (cfg: object) => paramSpecs(parseModelConfig({ ...base, ...cfg })).map((s) => s.name);
    expect(names({ nEncoderLayers: 0, positional: 'learned' }).slice(0, 3)).toEqual([
      'tgt_embed.weight', 'tgt_pos.weight', 'transformer.layers.0.self_attn.in_proj_weight',
    ]);
    expect(names({ nDecoderLayers: 0 }).at(-3)).toBe('transformer.norm.bias');
    expect(names({})).toContain('transformer.decoder.layers.0.multihead_attn.out_proj.bias');
  });
});

describe('run config', () => {
  const run = { model: { dModel: 16, nHeads: 2, nDecoderLayers: 1, dFF: 32, maxLen: 18 }, task: { name: 'reverse' }, train: {} };

  it('takes the vocabulary from the task and defaults the training settings', () => {
    const parsed = parseRunConfig(run);
    expect(parsed.model.tgtVocabSize).toBe(13);
    expect(parsed.model.srcVocabSize).toBeUndefined();
    expect(parsed.train).toMatchObject({ batchSize: 32, gradAccumSteps: 1, precision: 'fp32', checkpointing: 'none', clipGradNorm: null });
    expect(parsed.train.optimizer).toMatchObject({ name: 'adam', lr: 1e-3 });
  });

  it('reports problems in every section together', () => {
    expect(messageOf(() => parseRunConfig({ ...run, task: { name: 'reverse', symbols: 500 }, train: { batchSize: 0 }, extra: 1 }))).toBe(
      ['extra: unknown field "extra"', 'task.symbols: must be ≤ 100 (got 500)', 'train.batchSize: must be ≥ 1 (got 0)'].join('\n'),
    );
  });

  it('refuses a vocabulary smaller than the task needs', () => {
    expect(messageOf(() => parseRunConfig({ ...run, model: { ...run.model, tgtVocabSize: 5 } }))).toBe(
      "model.tgtVocabSize: tgtVocabSize 5 is smaller than the reverse task's vocabulary (13)",
    );
  });
});
