import { parseModelConfig, type Architecture, type ModelConfig } from '../../../src/engine/config';
import { createContext, type ForwardContext } from '../../../src/engine/model/context';
import type { HostBatch } from '../../../src/engine/train/gradients';
import { firstRows } from '../../../src/engine/train/objective';

/** Small deterministic stream (mulberry32) so batches do not depend on Math.random. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Size {
  layers: number;
  dModel: number;
  nHeads: number;
  dFF: number;
  vocab: number;
  maxLen: number;
}

export const SMALL: Size = { layers: 3, dModel: 16, nHeads: 2, dFF: 32, vocab: 11, maxLen: 16 };

export function modelConfig(arch: Architecture, normFirst: boolean, size: Size = SMALL, extra: Partial<ModelConfig> = {}): ModelConfig {
  const layers = {
    'encoder-decoder': { nEncoderLayers: size.layers, nDecoderLayers: size.layers },
    'decoder-only': { nDecoderLayers: size.layers },
    'encoder-only': { nEncoderLayers: size.layers },
  }[arch];
  return parseModelConfig({
    ...(arch === 'decoder-only' ? {} : { srcVocabSize: size.vocab + 2 }),
    tgtVocabSize: size.vocab,
    dModel: size.dModel,
    nHeads: size.nHeads,
    dFF: size.dFF,
    dropout: 0.1,
    normFirst,
    maxLen: size.maxLen,
    ...layers,
    ...extra,
  });
}

/** Rows of random symbols (ids ≥ 3), every other row ending in PAD, so the masks matter. */
function rows(next: () => number, b: number, t: number, vocab: number): number[][] {
  return Array.from({ length: b }, (_, i) => {
    const len = i % 2 === 0 ? t : Math.max(1, t - 1 - (i % 3));
    return Array.from({ length: t }, (_, j) => (j < len ? 3 + Math.floor(next() * (vocab - 3)) : 0));
  });
}

/** A batch in the layout of `cfg`'s architecture. */
export function randomBatch(cfg: ModelConfig, arch: Architecture, b: number, t: number, seed: number): HostBatch {
  const next = rng(seed);
  const tgt = rows(next, b, t, cfg.tgtVocabSize);
  switch (arch) {
    case 'encoder-decoder':
      return { src: rows(next, b, t + 1, cfg.srcVocabSize!), tgtIn: tgt.map((r) => [1, ...r.slice(0, -1)]), tgtOut: tgt };
    case 'decoder-only':
      return { tgtIn: tgt.map((r) => [1, ...r.slice(0, -1)]), tgtOut: tgt };
    case 'encoder-only':
      return { src: rows(next, b, t, cfg.srcVocabSize!), tgtOut: tgt };
  }
}

/** Training contexts for one step over `microBatches`: each row draws its masks by its index in the whole batch. */
export function trainingContexts(cfg: ModelConfig, step: number, microBatches: readonly HostBatch[]): (micro: number) => ForwardContext {
  const first = firstRows(microBatches);
  return (micro) => createContext({ dropoutRate: cfg.dropout, dropoutSeed: { seed: 7, step, firstRow: first[micro]! } });
}
