import { describe, expect, it } from 'vitest';
import { python } from './python';

/**
 * labtorch's `train.checkpointing` (tools/pytorch/labtorch/model.py, Stack.run): the lab's
 * segments under torch.utils.checkpoint, each stack's last segment kept. Checked on one step of
 * each architecture and the forecaster, dropout on (and once under bf16 autocast): the same loss and gradients bit for bit, and
 * fewer bytes kept by the autograd graph, unless the stack is a single kept segment.
 */
const TOKEN = { srcVocabSize: 9, tgtVocabSize: 7, dModel: 16, nHeads: 2, dFF: 24, maxLen: 12, dropout: 0.1 };
const CASES = [
  { name: 'encoder-decoder, 3+2 layers, "layers"', model: { ...TOKEN, nEncoderLayers: 3, nDecoderLayers: 2 }, segment: 1, recomputed: [3, 5] },
  { name: 'encoder-decoder under bf16 autocast (restored in the recompute)', model: { ...TOKEN, nEncoderLayers: 2, nDecoderLayers: 2 }, segment: 1, bf16: true, recomputed: [2, 4] },
  { name: 'decoder-only, 3 layers, segments of 2', model: { ...TOKEN, srcVocabSize: undefined, nEncoderLayers: 0, nDecoderLayers: 3, activation: 'gelu' }, segment: 2, recomputed: [2, 3] },
  { name: 'encoder-only, post-LN, "layers"', model: { ...TOKEN, nEncoderLayers: 2, nDecoderLayers: 0, normFirst: false }, segment: 1, recomputed: [1, 2] },
  { name: 'forecaster, 3 layers, "layers"', model: { kind: 'forecaster', lookback: 12, horizon: 4, nVariates: 3, dModel: 16, nHeads: 2, nLayers: 3, dFF: 24, dropout: 0.1 }, segment: 1, recomputed: [2, 3] },
  { name: 'decoder-only, 2 layers, segments of 2: one kept segment', model: { ...TOKEN, srcVocabSize: undefined, nEncoderLayers: 0, nDecoderLayers: 2 }, segment: 2, recomputed: [0, 2] },
];

describe('checkpointing in the PyTorch hand-over', () => {
  it('gives the plain step\'s loss and gradients bit for bit and keeps less, as the lab recomputes', () => {
    const r = python('tests/pytorch/py/checkpointing.py', [], CASES.map(({ model, segment, bf16 }) => ({ model: JSON.parse(JSON.stringify(model)), segment, bf16 })));
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as { lossDiff: number; gradDiff: number; plainBytes: number; checkpointedBytes: number; recomputed: number[] }[];
    CASES.forEach((c, i) => {
      const got = results[i]!;
      expect(got.lossDiff, c.name).toBe(0);
      expect(got.gradDiff, c.name).toBe(0);
      expect(got.recomputed, c.name).toEqual(c.recomputed);
      if (c.recomputed[0]! > 0) expect(got.checkpointedBytes, c.name).toBeLessThan(got.plainBytes);
      else expect(got.checkpointedBytes, c.name).toBe(got.plainBytes);
    });
  });
});
