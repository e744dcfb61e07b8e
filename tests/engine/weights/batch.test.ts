import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../../src/engine/config';
import { parseBatch, splitBatchRows, type Batch } from '../../../src/engine/weights/batch';
import { thrown } from '../../helpers/errors';

const base = { dModel: 8, nHeads: 2, dFF: 16, maxLen: 6 };
const encDec = parseModelConfig({ ...base, srcVocabSize: 10, tgtVocabSize: 12, nEncoderLayers: 1, nDecoderLayers: 1 });
const decOnly = parseModelConfig({ ...base, tgtVocabSize: 12, nDecoderLayers: 2 });
const encOnly = parseModelConfig({ ...base, srcVocabSize: 10, tgtVocabSize: 5, nEncoderLayers: 1 });

// A copy task batch: src = input + EOS, tgtIn = BOS + answer, tgtOut = answer + EOS, PAD-padded.
const src = [[3, 4, 5, 2], [6, 7, 2, 0], [9, 2, 0, 0]];
const tgtIn = [[1, 3, 4, 5], [1, 6, 7, 0], [1, 9, 0, 0]];
const tgtOut = [[3, 4, 5, 2], [6, 7, 2, 0], [9, 2, 0, 0]];
const clone = <T>(v: T): T => structuredClone(v);
const full = () => clone({ src, tgtIn, tgtOut });

describe('parseBatch: the three layouts', () => {
  it('encoder-decoder: src, tgtIn, tgtOut', () => {
    expect(parseBatch(full(), encDec)).toEqual({ src, tgtIn, tgtOut });
  });

  it('encoder-decoder: src and tgt may have different lengths', () => {
    const b = { src: [[3, 4, 5, 6, 7, 2]], tgtIn: [[1, 3]], tgtOut: [[3, 2]] };
    expect(parseBatch(b, encDec)).toEqual(b);
  });

  it('decoder-only: tgtIn and tgtOut; tgtOut may hold PAD at the input positions', () => {
    const b = { tgtIn: [[1, 3, 4, 5, 6]], tgtOut: [[0, 0, 5, 6, 2]] };
    expect(parseBatch(b, decOnly)).toEqual(b);
  });

  it('encoder-only: src and tgtOut of the same shape, tgtOut in the target vocabulary', () => {
    const b = { src: [[3, 9, 2], [4, 2, 0]], tgtOut: [[4, 3, 0], [3, 4, 0]] };
    expect(parseBatch(b, encOnly)).toEqual(b);
  });

  it('returns fresh arrays', () => {
    const raw = full();
    const b = parseBatch(raw, encDec);
    raw.src[0]![0] = 8;
    expect(b.src![0]![0]).toBe(3);
  });

  it('ignores (and drops) keys the architecture does not use, as torch_reference.py does', () => {
    expect(parseBatch({ ...full(), note: 'x' }, decOnly)).toEqual({ tgtIn, tgtOut });
    expect(parseBatch({ src: [['not checked']], tgtIn, tgtOut }, decOnly)).toEqual({ tgtIn, tgtOut });
    expect(parseBatch({ src: [[3, 2]], tgtIn: 'x', tgtOut: [[4, 2]] }, encOnly)).toEqual({ src: [[3, 2]], tgtOut: [[4, 2]] });
  });

  it('with unused: "refuse", refuses keys the architecture does not use', () => {
    expect(thrown(() => parseBatch({ ...full(), note: 'x' }, decOnly, { unused: 'refuse' })).message).toBe([
      'batch.src: a decoder-only model takes no src; leave it out',
      'batch.note: unknown field; leave it out',
    ].join('\n'));
    expect(thrown(() => parseBatch({ src: [[3, 2]], tgtIn: [[1, 3]], tgtOut: [[4, 2]] }, encOnly, { unused: 'refuse' })).message).toBe(
      'batch.tgtIn: an encoder-only model takes no tgtIn; leave it out',
    );
    expect(parseBatch(full(), encDec, { unused: 'refuse' })).toEqual({ src, tgtIn, tgtOut });
  });
});

describe('parseBatch refusals', () => {
  const refuse = (raw: unknown, cfg: typeof encDec, message: string) => expect(thrown(() => parseBatch(raw, cfg)).message).toBe(message);

  it('not an object', () => {
    refuse([[1]], encDec, 'batch: must be an object {src, tgtIn, tgtOut} of token-id rows (got an array)');
    refuse(null, encDec, 'batch: must be an object {src, tgtIn, tgtOut} of token-id rows (got null)');
  });

  it('missing fields, per architecture', () => {
    refuse({ tgtIn, tgtOut }, encDec, 'batch.src: is required for an encoder-decoder model');
    refuse({ src, tgtOut }, encDec, 'batch.tgtIn: is required for an encoder-decoder model');
    refuse({ tgtIn }, decOnly, 'batch.tgtOut: is required for a decoder-only model');
    refuse({ tgtIn: [[1, 3]], tgtOut: [[3, 2]] }, encOnly, 'batch.src: is required for an encoder-only model');
  });

  it('a field that is not an array of rows', () => {
    refuse({ ...full(), src: 'abc' }, encDec, 'batch.src: must be an array of rows of token ids (got "abc")');
    refuse({ ...full(), src: [3, 4] }, encDec, 'batch.src[0]: must be an array of token ids (got 3)');
  });

  it('no rows, or empty rows', () => {
    refuse({ ...full(), tgtIn: [] }, encDec, 'batch.tgtIn: must have at least one row');
    refuse({ src: [[]], tgtIn: [[1]], tgtOut: [[3]] }, encDec, 'batch.src[0]: must have at least one token');
  });

  it('ragged rows', () => {
    const b = full();
    b.tgtIn[2] = [1, 9, 0];
    refuse(b, encDec, 'batch.tgtIn[2]: has 3 tokens but batch.tgtIn[0] has 4; pad the rows with PAD (0) to one length');
  });

  it('rows longer than maxLen', () => {
    refuse({ src: [[3, 4, 5, 6, 7, 8, 2]], tgtIn: [[1]], tgtOut: [[2]] }, encDec, "batch.src[0]: has 7 tokens (the batch's padded length), more than the model's maxLen 6");
  });

  it('different numbers of rows', () => {
    const b = full();
    b.src.pop();
    refuse(b, encDec, 'batch.tgtIn: has 3 rows but batch.src has 2');
  });

  it('tgtOut not shaped like tgtIn', () => {
    const b = full();
    b.tgtOut = b.tgtOut.map((r) => [...r, 0]);
    refuse(b, encDec, "batch.tgtOut: shape [3, 5] does not match batch.tgtIn's [3, 4]");
    const d = { tgtIn, tgtOut: tgtOut.slice(0, 2) };
    refuse(d, decOnly, "batch.tgtOut: shape [2, 4] does not match batch.tgtIn's [3, 4]");
  });

  it('encoder-only: tgtOut not shaped like src', () => {
    refuse({ src: [[3, 2]], tgtOut: [[3, 2, 0]] }, encOnly, "batch.tgtOut: shape [1, 3] does not match batch.src's [1, 2]");
  });

  it('token ids that are not integers', () => {
    const b = full();
    b.src[1]![2] = 2.5;
    refuse(b, encDec, 'batch.src[1][2]: token 2.5 is not an integer');
    const c = full() as { src: unknown[][] };
    c.src[0]![1] = '4';
    refuse(c, encDec, 'batch.src[0][1]: must be an integer token id (got "4")');
    c.src[0]![1] = null;
    refuse(c, encDec, 'batch.src[0][1]: must be an integer token id (got null)');
  });

  it('token ids outside the vocabulary of their field', () => {
    const b = full();
    b.tgtIn[2]![3] = 17;
    refuse(b, encDec, "batch.tgtIn[2][3]: token 17 is not below the model's tgtVocabSize 12");
    const c = full();
    c.src[0]![0] = 10; // fine for the target vocabulary (12), not for the source one (10)
    refuse(c, encDec, "batch.src[0][0]: token 10 is not below the model's srcVocabSize 10");
    const d = full();
    d.tgtOut[1]![0] = -1;
    refuse(d, encDec, 'batch.tgtOut[1][0]: token -1 is negative: token ids start at 0 (PAD)');
    refuse({ src: [[3, 2]], tgtOut: [[5, 2]] }, encOnly, "batch.tgtOut[0][0]: token 5 is not below the model's tgtVocabSize 5");
  });

  it('targets that are all PAD', () => {
    refuse({ tgtIn: [[1, 3], [1, 4]], tgtOut: [[0, 0], [0, 0]] }, decOnly, 'batch.tgtOut: every target is PAD (0): the loss needs at least one non-PAD target');
  });

  it('a src row of PAD only (every attention key masked: NaN in the reference)', () => {
    const b = full();
    b.src[1] = [0, 0, 0, 0];
    refuse(b, encDec, 'batch.src[1]: holds only PAD (0): a row needs at least one token to attend to');
  });

  it('a tgtIn row that starts with PAD (its first position attends to nothing: NaN in the reference)', () => {
    refuse({ tgtIn: [[1, 3], [0, 3]], tgtOut: [[3, 2], [3, 2]] }, decOnly,
      'batch.tgtIn[1][0]: is PAD (0): a target row starts with a token (BOS), or its first position has nothing to attend to');
  });

  it('reports every field\'s first problem, one line each', () => {
    const b = full() as Record<string, unknown>;
    b.src = [[3, 99]];
    delete b.tgtIn;
    expect(thrown(() => parseBatch(b, encDec)).issues).toEqual([
      { path: 'batch.src[0][1]', message: "token 99 is not below the model's srcVocabSize 10" },
      { path: 'batch.tgtIn', message: 'is required for an encoder-decoder model' },
    ]);
  });
});

describe('splitBatchRows', () => {
  const batch: Batch = { src: [[3, 2], [4, 2], [5, 2], [6, 2]], tgtIn: [[1, 3], [1, 4], [1, 5], [1, 6]], tgtOut: [[3, 2], [4, 2], [5, 2], [6, 2]] };

  it('splits into k equal contiguous blocks, in order', () => {
    expect(splitBatchRows(batch, 2)).toEqual([
      { src: [[3, 2], [4, 2]], tgtIn: [[1, 3], [1, 4]], tgtOut: [[3, 2], [4, 2]] },
      { src: [[5, 2], [6, 2]], tgtIn: [[1, 5], [1, 6]], tgtOut: [[5, 2], [6, 2]] },
    ]);
    expect(splitBatchRows(batch, 1)).toEqual([batch]);
    expect(splitBatchRows(batch, 4).map((b) => b.tgtOut)).toEqual([[[3, 2]], [[4, 2]], [[5, 2]], [[6, 2]]]);
  });

  it('keeps the layout: no src for decoder-only batches', () => {
    const parts = splitBatchRows({ tgtIn: batch.tgtIn!, tgtOut: batch.tgtOut }, 2);
    expect(parts.every((p) => !('src' in p) && p.tgtIn!.length === 2)).toBe(true);
  });

  it('refuses rows that do not divide by k, naming train.gradAccumSteps', () => {
    expect(thrown(() => splitBatchRows(batch, 3)).message).toBe("train.gradAccumSteps: 3 does not divide the batch's 4 rows into equal micro-batches");
  });

  it('refuses a k that is not a positive integer', () => {
    expect(thrown(() => splitBatchRows(batch, 0)).message).toBe('train.gradAccumSteps: must be a positive integer (got 0)');
    expect(thrown(() => splitBatchRows(batch, 1.5)).message).toBe('train.gradAccumSteps: must be a positive integer (got 1.5)');
  });
});
