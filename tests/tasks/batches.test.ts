import { describe, it, expect } from 'vitest';
import { sequenceLength, toBatch } from '../../src/tasks/batches';
import { parseTaskConfig, taskDefinition } from '../../src/tasks/registry';
import { createRng } from '../../src/tasks/rng';
import type { BatchLayout, Example } from '../../src/tasks/types';

// A reversal of three symbols and one of a single symbol: rows of different lengths.
const examples: Example[] = [
  { input: [3, 4, 5], answer: [5, 4, 3] },
  { input: [6], answer: [6] },
];

describe('toBatch', () => {
  it('encoder-decoder: src = input EOS, tgtIn = BOS answer, tgtOut = answer EOS, PAD to the longest row', () => {
    expect(toBatch(examples, 'encoder-decoder')).toStrictEqual({
      src: [
        [3, 4, 5, 2],
        [6, 2, 0, 0],
      ],
      tgtIn: [
        [1, 5, 4, 3],
        [1, 6, 0, 0],
      ],
      tgtOut: [
        [5, 4, 3, 2],
        [6, 2, 0, 0],
      ],
    });
  });

  it('encoder-decoder pads each field to its own longest row', () => {
    const addition: Example[] = [
      { input: [12, 13, 12], answer: [4, 11] }, // 9+9 = 18
      { input: [4, 5, 13, 3], answer: [4, 5] }, // 12+0 = 12
    ];
    expect(toBatch(addition, 'encoder-decoder')).toStrictEqual({
      src: [
        [12, 13, 12, 2, 0],
        [4, 5, 13, 3, 2],
      ],
      tgtIn: [
        [1, 4, 11],
        [1, 4, 5],
      ],
      tgtOut: [
        [4, 11, 2],
        [4, 5, 2],
      ],
    });
  });

  it('decoder-only: one sequence BOS input EOS answer, with PAD targets under BOS and the input', () => {
    expect(toBatch(examples, 'decoder-only')).toStrictEqual({
      tgtIn: [
        [1, 3, 4, 5, 2, 5, 4, 3],
        [1, 6, 2, 6, 0, 0, 0, 0],
      ],
      tgtOut: [
        [0, 0, 0, 0, 5, 4, 3, 2],
        [0, 0, 6, 2, 0, 0, 0, 0],
      ],
    });
  });

  it('encoder-only: src = input EOS and tgtOut = answer EOS, padded to the src row', () => {
    const shorter: Example[] = [...examples, { input: [3, 4, 5], answer: [3] }];
    expect(toBatch(shorter, 'encoder-only')).toStrictEqual({
      src: [
        [3, 4, 5, 2],
        [6, 2, 0, 0],
        [3, 4, 5, 2],
      ],
      tgtOut: [
        [5, 4, 3, 2],
        [6, 2, 0, 0],
        [3, 2, 0, 0],
      ],
    });
  });

  it('encoder-only refuses an answer longer than its input', () => {
    expect(() => toBatch([{ input: [3], answer: [3, 4] }], 'encoder-only')).toThrow(
      "an encoder-only model answers position by position, but row 0's answer (2 tokens) is longer than its input (1)",
    );
  });
});

describe('sequenceLength', () => {
  it('covers the longest input and answer of each layout', () => {
    const copy = parseTaskConfig({ name: 'copy' });
    const addition = parseTaskConfig({ name: 'addition' });
    expect([sequenceLength(copy, 'encoder-decoder'), sequenceLength(copy, 'decoder-only'), sequenceLength(copy, 'encoder-only')]).toEqual([9, 18, 9]);
    expect([sequenceLength(addition, 'encoder-decoder'), sequenceLength(addition, 'decoder-only'), sequenceLength(addition, 'encoder-only')]).toEqual([8, 13, 8]);
  });

  it.each(['encoder-decoder', 'decoder-only', 'encoder-only'] as BatchLayout[])(
    '%s: real batches have rectangular fields, never longer than sequenceLength, and reach it',
    (layout) => {
      for (const cfg of [parseTaskConfig({ name: 'sort', maxLength: 6 }), parseTaskConfig({ name: 'addition', maxDigits: 2 })]) {
        const rng = createRng(4);
        let longest = 0;
        for (let step = 0; step < 50; step++) {
          const batch = toBatch(Array.from({ length: 16 }, () => taskDefinition(cfg).sample(cfg, rng)), layout);
          for (const rows of [batch.src, batch.tgtIn, batch.tgtOut]) {
            if (!rows) continue;
            expect(rows).toHaveLength(16);
            expect(new Set(rows.map((r) => r.length)).size).toBe(1);
            longest = Math.max(longest, rows[0]!.length);
          }
        }
        expect(longest).toBe(sequenceLength(cfg, layout));
      }
    },
  );
});
