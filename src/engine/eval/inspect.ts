import * as tf from '@tensorflow/tfjs';
import { architecture, type Architecture, type ModelConfig } from '../config';
import { createContext, type ForwardContext } from '../model/context';
import { forwardLogits, type TokenTensors } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { BOS, EOS } from '../../tasks/types';
import { decodingBudget, generateOnDevice, untilEos } from './greedy';

export type AttentionKind = 'encoder-self' | 'decoder-self' | 'cross';

/** One attention module's weights for one example, every head. */
export interface AttentionMap {
  kind: AttentionKind;
  layer: number;
  /** The module's PyTorch name, e.g. `transformer.decoder.layers.0.multihead_attn`. */
  site: string;
  /** Token ids along the rows (the attending positions). */
  queries: number[];
  /** Token ids along the columns (the attended positions). */
  keys: number[];
  /** [h][Tq][Tk]; each row sums to 1. */
  heads: number[][][];
}

/** The model's greedy answer to one input and the attention behind every token of it. */
export interface Inspection {
  input: number[];
  /** The answer before EOS; null when no EOS came within the decoding budget. */
  output: number[] | null;
  /** Every token generated, up to and including the first EOS. */
  generated: number[];
  maps: AttentionMap[];
}

/** One unpadded row per token stream; the architecture decides which streams it reads. */
export interface SequenceTokens {
  src?: number[];
  tgtIn?: number[];
}

type Stream = 'src' | 'tgt';

interface Recorded {
  site: string;
  shape: [number, number, number]; // [h, Tq, Tk]
}

/** What a site is and which token stream runs along each of its axes. */
function describeSite(arch: Architecture, site: string): { kind: AttentionKind; queries: Stream; keys: Stream } {
  if (site.endsWith('.multihead_attn')) return { kind: 'cross', queries: 'tgt', keys: 'src' };
  if (site.startsWith('transformer.encoder.')) return { kind: 'encoder-self', queries: 'src', keys: 'src' };
  if (site.startsWith('transformer.decoder.') || arch === 'decoder-only') return { kind: 'decoder-self', queries: 'tgt', keys: 'tgt' };
  return { kind: 'encoder-self', queries: 'src', keys: 'src' };
}

const layerOf = (site: string) => Number(/\.layers\.(\d+)\./.exec(site)?.[1] ?? 0);

const row = (tokens: number[]) => tf.tensor2d([tokens], [1, tokens.length], 'int32');

/**
 * A teacher-forced forward pass in evaluation mode; returns every attention site's weights of
 * row 0, flattened and concatenated in call order, and notes each site in `recorded`.
 * Call inside tf.tidy.
 */
function recordAttention(p: ParamLookup, cfg: ModelConfig, tokens: TokenTensors, matMul: ForwardContext['matMul'] | undefined, recorded: Recorded[]): tf.Tensor {
  const weights: tf.Tensor[] = [];
  const ctx = createContext({
    dropoutRate: 0,
    dropoutSeed: null,
    matMul,
    recordAttention: (site, w) => {
      const [, h, tq, tk] = w.shape as [number, number, number, number]; // [B, h, Tq, Tk]
      recorded.push({ site, shape: [h, tq, tk] });
      weights.push(w.slice([0, 0, 0, 0], [1, h, tq, tk]).reshape([-1]));
    },
  });
  forwardLogits(ctx, p, cfg, tokens);
  return tf.concat(weights);
}

/**
 * Cuts the flat weights back into maps. `streams` holds the tokens each axis shows; a map
 * computed over a longer stream keeps only its first rows and columns, which causal masking
 * makes independent of the positions cut off.
 */
function unpackMaps(arch: Architecture, values: Float32Array, recorded: Recorded[], streams: { [S in Stream]?: number[] }): AttentionMap[] {
  let offset = 0;
  return recorded.map(({ site, shape: [h, tq, tk] }) => {
    const { kind, queries: qStream, keys: kStream } = describeSite(arch, site);
    const queries = streams[qStream]!;
    const keys = streams[kStream]!;
    const base = offset;
    offset += h * tq * tk;
    const heads = Array.from({ length: h }, (_, head) =>
      queries.map((_q, i) => Array.from(values.subarray(base + (head * tq + i) * tk, base + (head * tq + i) * tk + keys.length))),
    );
    return { kind, layer: layerOf(site), site, queries, keys, heads };
  });
}

/** Attention maps of a teacher-forced pass over fixed tokens (one unpadded row); one read-back. */
export async function teacherForcedAttention(
  p: ParamLookup,
  cfg: ModelConfig,
  tokens: SequenceTokens,
  matMul?: ForwardContext['matMul'],
): Promise<AttentionMap[]> {
  const recorded: Recorded[] = [];
  const packed = tf.tidy(() =>
    recordAttention(p, cfg, { src: tokens.src && row(tokens.src), tgtIn: tokens.tgtIn && row(tokens.tgtIn) }, matMul, recorded),
  );
  const values = (await packed.data()) as Float32Array;
  packed.dispose();
  return unpackMaps(architecture(cfg), values, recorded, { src: tokens.src, tgt: tokens.tgtIn });
}

/**
 * Greedy-decodes one input as evaluation does (at most `maxAnswer` tokens and EOS), then runs
 * a teacher-forced pass over the input and the generated tokens to record every attention
 * map. Both happen on the device and come back in one read: the pass feeds back the whole
 * decoding budget, and the maps are cut after the first EOS once the tokens are known.
 */
export async function inspectExample(
  p: ParamLookup,
  cfg: ModelConfig,
  input: number[],
  maxAnswer: number,
  matMul?: ForwardContext['matMul'],
): Promise<Inspection> {
  const arch = architecture(cfg);
  const prompt = arch === 'decoder-only' ? [BOS, ...input, EOS] : [...input, EOS];
  const budget = decodingBudget(cfg, input.length, maxAnswer);
  if (prompt.length > cfg.maxLen || budget < 1) {
    throw new Error(`an input of ${input.length} tokens does not fit this model's maxLen of ${cfg.maxLen}`);
  }
  const recorded: Recorded[] = [];
  let width = 0;
  const packed = tf.tidy(() => {
    const ctx = createContext({ dropoutRate: 0, dropoutSeed: null, matMul });
    const generated = generateOnDevice(ctx, p, cfg, [input], budget); // [1, G]
    width = generated.shape[1];
    // Every generated token but the last is fed back, so row i of the decoder's maps is the step that produced token i.
    const after = (prefix: number[]) => tf.concat([row(prefix), generated.slice([0, 0], [1, width - 1])], 1) as tf.Tensor2D;
    const tokens: TokenTensors =
      arch === 'encoder-decoder'
        ? { src: row(prompt), tgtIn: after([BOS]) }
        : arch === 'decoder-only'
          ? { tgtIn: after(prompt) }
          : { src: row(prompt) };
    return tf.concat([generated.reshape([-1]).cast('float32'), recordAttention(p, cfg, tokens, matMul, recorded)]);
  });
  const values = (await packed.data()) as Float32Array;
  packed.dispose();

  const all = Array.from(values.subarray(0, width));
  const output = untilEos(all);
  const generated = output === null ? all : [...output, EOS];
  const fed = generated.slice(0, -1);
  const streams =
    arch === 'encoder-decoder' ? { src: prompt, tgt: [BOS, ...fed] } : arch === 'decoder-only' ? { tgt: [...prompt, ...fed] } : { src: prompt };
  return { input, output, generated, maps: unpackMaps(arch, values.subarray(width), recorded, streams) };
}
