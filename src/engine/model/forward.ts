import * as tf from '@tensorflow/tfjs';
import { architecture, type ModelConfig } from '../config';
import type { ForwardContext } from './context';
import { feedForward, MASKED, multiHeadAttention, norm, type ParamLookup } from './layers';
import { positionTable } from './positions';

const PAD = 0;

/** Token ids as int32 tensors. Which are present depends on the architecture. */
export interface TokenTensors {
  src?: tf.Tensor2D; // [B, Ts]
  tgtIn?: tf.Tensor2D; // [B, Tt]
}

/** One layer of a stack, with the parameter names it reads (a recomputed segment takes them as inputs). */
export interface StackLayer {
  prefix: string;
  paramNames: string[];
  /**
   * x: [B, T, d]; extras: the layer's other inputs, the same for every layer of the stack.
   * They can carry gradients: the decoder's `memory` needs one back to the encoder (a
   * recomputed segment returns a gradient for every extra); mask biases need none.
   */
  apply(p: ParamLookup, x: tf.Tensor, extras: tf.Tensor[]): tf.Tensor;
}

/** Runs a stack of layers; the checkpointing module swaps in a runner that recomputes segments. */
export type StackRunner = (layers: StackLayer[], x: tf.Tensor, extras: tf.Tensor[], p: ParamLookup, observer?: StackObserver) => tf.Tensor;

/** What a memory meter watches in a runner beyond its layers (memory/meter.ts). */
export interface StackObserver {
  /** The backward pass of a segment that kept its tape has ended; its tape is about to be freed. */
  keptBackwardEnd(): void;
}

export const runPlainly: StackRunner = (layers, x, extras, p) => layers.reduce((h, layer) => layer.apply(p, h, extras), x);

/** [B, Tk] tokens → additive bias [B, 1, 1, Tk] that hides PAD keys. */
function keyPaddingBias(tokens: tf.Tensor2D): tf.Tensor {
  const [b, t] = tokens.shape;
  return tokens.equal(PAD).cast('float32').mul(MASKED).reshape([b, 1, 1, t]);
}

/** [1, 1, T, T] bias that hides future positions. */
function causalBias(t: number): tf.Tensor {
  const upper = tf.linalg.bandPart(tf.ones([t, t]), 0, -1).sub(tf.eye(t)); // 1 above the diagonal
  return upper.mul(MASKED).reshape([1, 1, t, t]);
}

function embed(ctx: ForwardContext, p: ParamLookup, cfg: ModelConfig, side: 'src' | 'tgt', tokens: tf.Tensor2D): tf.Tensor {
  const t = tokens.shape[1];
  if (t > cfg.maxLen) throw new Error(`sequence length ${t} exceeds maxLen ${cfg.maxLen}`);
  const table = p(`${side}_embed.weight`); // [V, d]
  const positions =
    cfg.positional === 'learned' ? p(`${side}_pos.weight`).slice([0, 0], [t, cfg.dModel]) : positionTable(t, cfg.dModel); // [T, d]
  // A one-hot matmul rather than gather: gather's gradient (UnsortedSegmentSum) has no wasm
  // kernel, and with task-sized vocabularies the matmul is cheap and exact. It stays fp32, as
  // PyTorch's autocast leaves embeddings alone.
  const [b] = tokens.shape;
  const vocab = table.shape[0]!;
  const rows = tf.matMul(tf.oneHot(tokens.reshape([b * t]), vocab), table).reshape([b, t, cfg.dModel]);
  const x = rows.mul(Math.sqrt(cfg.dModel)).add(positions); // [B, T, d]
  return ctx.dropout(x, `${side}_embed`);
}

const attentionNames = (prefix: string) =>
  ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias'].map((n) => `${prefix}.${n}`);
const ffNames = (prefix: string) => ['linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias'].map((n) => `${prefix}.${n}`);
const normNames = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => [`${prefix}.norm${i + 1}.weight`, `${prefix}.norm${i + 1}.bias`]).flat();

/** What an encoder layer reads of a model config (the token Transformer's or the forecaster's). */
export type LayerSettings = Pick<ModelConfig, 'nHeads' | 'activation' | 'normFirst' | 'layerNormEps'>;

/** `nn.TransformerEncoderLayer`; extras = [selfBias], or none where nothing is masked. */
export function encoderLayer(ctx: ForwardContext, cfg: LayerSettings, prefix: string): StackLayer {
  const eps = cfg.layerNormEps;
  return {
    prefix,
    paramNames: [...attentionNames(`${prefix}.self_attn`), ...ffNames(prefix), ...normNames(prefix, 2)],
    apply(p, x, [selfBias]) {
      const sa = (h: tf.Tensor) => ctx.dropout(multiHeadAttention(ctx, p, `${prefix}.self_attn`, h, h, selfBias, cfg.nHeads), `${prefix}.dropout1`);
      const ff = (h: tf.Tensor) => ctx.dropout(feedForward(ctx, p, prefix, h, cfg.activation), `${prefix}.dropout2`);
      if (cfg.normFirst) {
        const h = x.add(sa(norm(p, `${prefix}.norm1`, x, eps)));
        return h.add(ff(norm(p, `${prefix}.norm2`, h, eps)));
      }
      const h = norm(p, `${prefix}.norm1`, x.add(sa(x)), eps);
      return norm(p, `${prefix}.norm2`, h.add(ff(h)), eps);
    },
  };
}

/** `nn.TransformerDecoderLayer`; extras = [selfBias, memory, memoryBias]. */
export function decoderLayer(ctx: ForwardContext, cfg: ModelConfig, prefix: string): StackLayer {
  const eps = cfg.layerNormEps;
  return {
    prefix,
    paramNames: [
      ...attentionNames(`${prefix}.self_attn`),
      ...attentionNames(`${prefix}.multihead_attn`),
      ...ffNames(prefix),
      ...normNames(prefix, 3),
    ],
    apply(p, x, [selfBias, memory, memoryBias]) {
      const sa = (h: tf.Tensor) => ctx.dropout(multiHeadAttention(ctx, p, `${prefix}.self_attn`, h, h, selfBias!, cfg.nHeads), `${prefix}.dropout1`);
      const ca = (h: tf.Tensor) =>
        ctx.dropout(multiHeadAttention(ctx, p, `${prefix}.multihead_attn`, h, memory!, memoryBias!, cfg.nHeads), `${prefix}.dropout2`);
      const ff = (h: tf.Tensor) => ctx.dropout(feedForward(ctx, p, prefix, h, cfg.activation), `${prefix}.dropout3`);
      if (cfg.normFirst) {
        const h1 = x.add(sa(norm(p, `${prefix}.norm1`, x, eps)));
        const h2 = h1.add(ca(norm(p, `${prefix}.norm2`, h1, eps)));
        return h2.add(ff(norm(p, `${prefix}.norm3`, h2, eps)));
      }
      const h1 = norm(p, `${prefix}.norm1`, x.add(sa(x)), eps);
      const h2 = norm(p, `${prefix}.norm2`, h1.add(ca(h1)), eps);
      return norm(p, `${prefix}.norm3`, h2.add(ff(h2)), eps);
    },
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The encoder of an encoder–decoder model: memory [B, Ts, d] after `transformer.encoder.norm`. */
export function encode(ctx: ForwardContext, p: ParamLookup, cfg: ModelConfig, src: tf.Tensor2D, run: StackRunner = runPlainly): tf.Tensor {
  const layers = range(cfg.nEncoderLayers).map((i) => encoderLayer(ctx, cfg, `transformer.encoder.layers.${i}`));
  const h = run(layers, embed(ctx, p, cfg, 'src', src), [keyPaddingBias(src)], p);
  return norm(p, 'transformer.encoder.norm', h, cfg.layerNormEps);
}

/** The decoder of an encoder–decoder model given the memory: hidden states [B, Tt, d]. */
export function decode(
  ctx: ForwardContext,
  p: ParamLookup,
  cfg: ModelConfig,
  src: tf.Tensor2D,
  memory: tf.Tensor,
  tgtIn: tf.Tensor2D,
  run: StackRunner = runPlainly,
): tf.Tensor {
  const t = tgtIn.shape[1];
  const selfBias = causalBias(t).add(keyPaddingBias(tgtIn)); // [B, 1, T, T]
  const layers = range(cfg.nDecoderLayers).map((i) => decoderLayer(ctx, cfg, `transformer.decoder.layers.${i}`));
  const h = run(layers, embed(ctx, p, cfg, 'tgt', tgtIn), [selfBias, memory, keyPaddingBias(src)], p);
  return norm(p, 'transformer.decoder.norm', h, cfg.layerNormEps);
}

/** Decoder-only (causal) and encoder-only stacks share PyTorch's `nn.TransformerEncoder` layout. */
function singleStack(ctx: ForwardContext, p: ParamLookup, cfg: ModelConfig, tokens: tf.Tensor2D, causal: boolean, run: StackRunner): tf.Tensor {
  const n = causal ? cfg.nDecoderLayers : cfg.nEncoderLayers;
  const padBias = keyPaddingBias(tokens);
  const bias = causal ? causalBias(tokens.shape[1]).add(padBias) : padBias;
  const layers = range(n).map((i) => encoderLayer(ctx, cfg, `transformer.layers.${i}`));
  const h = run(layers, embed(ctx, p, cfg, causal ? 'tgt' : 'src', tokens), [bias], p);
  return norm(p, 'transformer.norm', h, cfg.layerNormEps);
}

export function generator(ctx: ForwardContext, p: ParamLookup, h: tf.Tensor): tf.Tensor {
  const w = p('generator.weight'); // [V, d]
  const [b, t, d] = h.shape as [number, number, number];
  const logits = ctx.matMul(h.reshape([b * t, d]), w, false, true, true).add(p('generator.bias'));
  return logits.reshape([b, t, w.shape[0]!]); // [B, T, V]
}

/** Logits [B, T, tgtVocab] for a batch, in every architecture. */
export function forwardLogits(ctx: ForwardContext, p: ParamLookup, cfg: ModelConfig, tokens: TokenTensors, run: StackRunner = runPlainly): tf.Tensor {
  const need = (t: tf.Tensor2D | undefined, name: string) => {
    if (!t) throw new Error(`this ${architecture(cfg)} model needs ${name} tokens`);
    return t;
  };
  switch (architecture(cfg)) {
    case 'encoder-decoder': {
      const src = need(tokens.src, 'src');
      const memory = encode(ctx, p, cfg, src, run);
      return generator(ctx, p, decode(ctx, p, cfg, src, memory, need(tokens.tgtIn, 'tgtIn'), run));
    }
    case 'decoder-only':
      return generator(ctx, p, singleStack(ctx, p, cfg, need(tokens.tgtIn, 'tgtIn'), true, run));
    case 'encoder-only':
      return generator(ctx, p, singleStack(ctx, p, cfg, need(tokens.src, 'src'), false, run));
  }
}
