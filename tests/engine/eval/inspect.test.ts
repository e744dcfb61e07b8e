import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/engine/model/context';
import { greedyAnswers } from '../../../src/engine/eval/greedy';
import { teacherForcedAttention, type AttentionMap, type Inspection } from '../../../src/engine/eval/inspect';
import { TransformerModel } from '../../../src/engine/model/model';
import { parseRunConfig, type RunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { parseWeights } from '../../../src/engine/weights/format';
import { EOS, PAD } from '../../../src/tasks/types';
import { NODE_BACKENDS, onBackend } from '../../helpers/backends';
import { fixtureNames, fixtureValues, maxAbsError, readFixture, type FixtureTensor } from '../../helpers/fixtures';
import { transformerConfig } from '../../../src/engine/modelKind';

interface AttentionCase {
  case: string;
  weights: unknown;
  tokens: { src?: number[]; tgtIn?: number[] };
  maps: (FixtureTensor & { site: string })[];
}

const CASES = fixtureNames('attention');

const run = (model: Record<string, unknown>, task: Record<string, unknown>, train: Record<string, unknown> = {}): RunConfig =>
  parseRunConfig({
    model: { dModel: 16, nHeads: 2, dFF: 32, dropout: 0.1, ...model },
    task,
    train: { batchSize: 8, steps: 4, seed: 5, optimizer: { name: 'adamw', lr: 0.01 }, validationSize: 8, ...train },
  });

const reverse = { name: 'reverse', minLength: 2, maxLength: 5, symbols: 6 };
const RUNS: [string, RunConfig, number[]][] = [
  ['encoder-decoder', run({ nEncoderLayers: 2, nDecoderLayers: 1, maxLen: 8 }, reverse), [3, 4, 5, 8]],
  ['decoder-only', run({ nDecoderLayers: 2, maxLen: 12 }, { name: 'addition', maxDigits: 2 }), [4, 5, 13, 12]],
  ['encoder-only', run({ nEncoderLayers: 2, maxLen: 8 }, reverse), [3, 8, 6]],
];

const flat = (m: AttentionMap) => m.heads.flat(2);

function expectAttentionRules(m: AttentionMap, nHeads: number): void {
  expect(m.heads).toHaveLength(nHeads);
  for (const head of m.heads) {
    expect(head).toHaveLength(m.queries.length);
    head.forEach((weights, i) => {
      expect(weights).toHaveLength(m.keys.length);
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // Self-attention in a decoder is causal: nothing after the query's own position.
      if (m.kind === 'decoder-self') expect(weights.slice(i + 1).every((w) => w === 0)).toBe(true);
      // An unpadded example has no PAD, but an untrained model may generate one and feed it back: masked as any PAD key.
      expect(weights.filter((_w, j) => m.keys[j] === PAD).every((w) => w === 0)).toBe(true);
    });
  }
}

describe.each(NODE_BACKENDS)('attention maps on %s', (backend) => {
  it('has a PyTorch fixture for an encoder–decoder and a decoder-only model', () => {
    expect(CASES).toEqual(['dec-postln', 'encdec-preln']);
  });

  it.each(CASES)('%s: every head of every site equals nn.MultiheadAttention’s weights within 1e-5', async (name) => {
    await onBackend(backend);
    const fixture = readFixture<AttentionCase>('attention', `${name}.json`);
    const weights = parseWeights(fixture.weights);
    const model = TransformerModel.fromValues(transformerConfig(weights.config), weights.tensors);
    try {
      const maps = await teacherForcedAttention(model.lookup, model.config, fixture.tokens);
      expect(maps.map((m) => m.site)).toEqual(fixture.maps.map((m) => m.site));
      maps.forEach((m, i) => {
        const want = fixture.maps[i]!;
        expect([m.heads.length, m.queries.length, m.keys.length]).toEqual(want.shape);
        expect(maxAbsError(flat(m), fixtureValues(want)), m.site).toBeLessThan(1e-5);
        expectAttentionRules(m, model.config.nHeads);
      });
    } finally {
      model.dispose();
    }
  });

  it.each(RUNS)('%s: Trainer.inspect answers as evaluation does, with every map, and leaks no tensor', async (arch, cfg, input) => {
    await onBackend(backend);
    const trainer = Trainer.create(cfg);
    try {
      for (let i = 0; i < 2; i++) await trainer.trainStep();
      const before = tf.memory().numTensors;
      const inspection: Inspection = await trainer.inspect(input);
      expect(tf.memory().numTensors).toBe(before);

      const ctx = createContext({ dropoutRate: 0, dropoutSeed: null });
      const longest = cfg.task.name === 'addition' ? cfg.task.maxDigits + 1 : 5;
      const [answer] = await greedyAnswers(ctx, trainer.model.lookup, cfg.model, [input], longest);
      expect(inspection.input).toEqual(input);
      expect(inspection.output).toEqual(answer);
      expect(inspection.generated).toEqual(answer === null ? expect.any(Array) : [...answer!, EOS]);

      const m = cfg.model;
      const expected =
        arch === 'encoder-decoder'
          ? [...Array(m.nEncoderLayers).fill('encoder-self'), ...Array(m.nDecoderLayers).fill(['decoder-self', 'cross']).flat()]
          : Array(arch === 'decoder-only' ? m.nDecoderLayers : m.nEncoderLayers).fill(arch === 'decoder-only' ? 'decoder-self' : 'encoder-self');
      expect(inspection.maps.map((x) => x.kind)).toEqual(expected);
      for (const map of inspection.maps) expectAttentionRules(map, m.nHeads);

      // The maps cut from the pass over the whole decoding budget equal a pass over just the kept tokens.
      const decoderRows = inspection.maps.find((x) => x.kind !== 'encoder-self')?.queries;
      const encoderRows = inspection.maps.find((x) => x.kind === 'encoder-self')?.queries;
      const direct = await teacherForcedAttention(trainer.model.lookup, m, {
        src: arch === 'decoder-only' ? undefined : encoderRows,
        tgtIn: arch === 'encoder-only' ? undefined : decoderRows,
      });
      direct.forEach((d, i) => expect(maxAbsError(flat(inspection.maps[i]!), flat(d))).toBeLessThan(1e-5));
    } finally {
      trainer.dispose();
    }
  });

  it('inspects a half-precision, checkpointed run through its evaluation path', async () => {
    await onBackend(backend);
    const trainer = Trainer.create(run({ nEncoderLayers: 1, nDecoderLayers: 1, maxLen: 8 }, reverse, { precision: 'bf16', checkpointing: 'layers' }));
    try {
      await trainer.trainStep();
      const inspection = await trainer.inspect([4, 4, 7]);
      expect(inspection.maps.map((x) => x.kind)).toEqual(['encoder-self', 'decoder-self', 'cross']);
      for (const map of inspection.maps) expectAttentionRules(map, 2);
    } finally {
      trainer.dispose();
    }
  });
});
