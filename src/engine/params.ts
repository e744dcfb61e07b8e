import { architecture, srcVocab, type ModelConfig } from './config';

/** How a parameter is initialised (see `init.ts`). */
export type InitKind = 'embedding' | 'position' | 'xavier' | 'zeros' | 'ones';

export interface ParamSpec {
  /** PyTorch `state_dict()` name of `LabTransformer`. */
  name: string;
  shape: number[];
  init: InitKind;
  /**
   * A Linear layer's weight (the packed q/k/v one included): the right operand of a matmul,
   * whose gradient autocast rounds to half once per step (precision/autocast.ts).
   */
  matMulWeight?: true;
}

function linear(prefix: string, out: number, inp: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [out, inp], init: 'xavier', matMulWeight: true },
    { name: `${prefix}.bias`, shape: [out], init: 'zeros' },
  ];
}

function layerNorm(prefix: string, d: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [d], init: 'ones' },
    { name: `${prefix}.bias`, shape: [d], init: 'zeros' },
  ];
}

function attention(prefix: string, d: number): ParamSpec[] {
  return [
    { name: `${prefix}.in_proj_weight`, shape: [3 * d, d], init: 'xavier', matMulWeight: true },
    { name: `${prefix}.in_proj_bias`, shape: [3 * d], init: 'zeros' },
    ...linear(`${prefix}.out_proj`, d, d),
  ];
}

/** An encoder layer (self-attention, feed-forward), also the decoder-only model's layer. */
function encoderLayer(prefix: string, cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel;
  return [
    ...attention(`${prefix}.self_attn`, d),
    ...linear(`${prefix}.linear1`, cfg.dFF, d),
    ...linear(`${prefix}.linear2`, d, cfg.dFF),
    ...layerNorm(`${prefix}.norm1`, d),
    ...layerNorm(`${prefix}.norm2`, d),
  ];
}

function decoderLayer(prefix: string, cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel;
  return [
    ...attention(`${prefix}.self_attn`, d),
    ...attention(`${prefix}.multihead_attn`, d),
    ...linear(`${prefix}.linear1`, cfg.dFF, d),
    ...linear(`${prefix}.linear2`, d, cfg.dFF),
    ...layerNorm(`${prefix}.norm1`, d),
    ...layerNorm(`${prefix}.norm2`, d),
    ...layerNorm(`${prefix}.norm3`, d),
  ];
}

function embedding(side: 'src' | 'tgt', vocab: number, cfg: ModelConfig): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: `${side}_embed.weight`, shape: [vocab, cfg.dModel], init: 'embedding' }];
  if (cfg.positional === 'learned') specs.push({ name: `${side}_pos.weight`, shape: [cfg.maxLen, cfg.dModel], init: 'position' });
  return specs;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Every parameter, in PyTorch's `state_dict()` order. */
export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  const arch = architecture(cfg);
  const specs: ParamSpec[] = [];
  if (arch !== 'decoder-only') specs.push(...embedding('src', srcVocab(cfg), cfg));
  if (arch !== 'encoder-only') specs.push(...embedding('tgt', cfg.tgtVocabSize, cfg));
  if (arch === 'encoder-decoder') {
    for (const i of range(cfg.nEncoderLayers)) specs.push(...encoderLayer(`transformer.encoder.layers.${i}`, cfg));
    specs.push(...layerNorm('transformer.encoder.norm', cfg.dModel));
    for (const i of range(cfg.nDecoderLayers)) specs.push(...decoderLayer(`transformer.decoder.layers.${i}`, cfg));
    specs.push(...layerNorm('transformer.decoder.norm', cfg.dModel));
  } else {
    const n = arch === 'encoder-only' ? cfg.nEncoderLayers : cfg.nDecoderLayers;
    for (const i of range(n)) specs.push(...encoderLayer(`transformer.layers.${i}`, cfg));
    specs.push(...layerNorm('transformer.norm', cfg.dModel));
  }
  specs.push(...linear('generator', cfg.tgtVocabSize, cfg.dModel));
  return specs;
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export const parameterCount = (cfg: ModelConfig) => paramSpecs(cfg).reduce((n, s) => n + sizeOf(s.shape), 0);
