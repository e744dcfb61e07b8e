import { architecture, type Architecture, type ModelConfig } from '../config';
import { segmentPlan, stacksOf, type MicroShape } from './shapes';

/*
 * The sizes a training step's memory is made of, as named features counted in elements
 * (float32 unless said otherwise). TF.js counts the bytes of every live tensor object: every op
 * output, every tensor an op saves for its gradient (a saved input is a second tensor object,
 * counted again) and every intermediate gradient, which it keeps until the backward pass ends.
 * So each memory figure of a micro-batch is a sum of such sizes with small whole-number counts
 * (quarters for bool masks, halves for packed half-precision boundaries): a linear function of
 * these features. coefficients.ts holds the counts, fitted exactly by tools/memory/calibrate.ts.
 *
 * Per layer of a stack over T positions with N = rows·T tokens (`enc.` the encoder or the
 * single stack, `dec.` the decoder of an encoder–decoder model):
 *   Nd  N·dModel      activations of width dModel (inputs, q/k/v, heads, residuals, norms)
 *   NF  N·dFF         the feed-forward's hidden activations
 *   A   rows·heads·T² attention scores and weights
 *   N   N             per-token scalars (LayerNorm statistics, softmax sums)
 *   b   the mask bias: rows·T (padding) or rows·T² (causal)
 *   d2, dF, d, F, 1   parameter-sized tensors (weights saved by matmuls, their gradients), scalars
 *   decoder only: X rows·heads·T·Ts (cross-attention maps), M rows·Ts·dModel (the memory's
 *   keys and values), c rows·Ts (the memory's padding bias).
 * Multipliers: `.L.` × layers; `.post.` × layers with post-LN (normFirst false). With recompute
 * (checkpointed segments; shapes.ts `segmentPlan`) also `.S.` × recomputed segments, `.n.` ×
 * layers of the first segment (the one recomputed last, when the most gradients are alive),
 * `.np.` the same with post-LN, `.K.` / `.Kp.` × layers of the segment that keeps its tape (the
 * stack's last), `.m.` once if two segments or more are recomputed, `.r.` once if any is,
 * and `.1.` / `.1p.` once per stack (its extras and their gradients, the transients of its first
 * layer's gradient).
 * Outside the stacks: `src.` / `tgt.` embeddings (NV one-hot rows, Nd, N, T, position tables
 * sTd (sinusoidal) or lTd (learned), Pd = maxLen·dModel learned-position gradients, Vd tables),
 * `head.` (final LayerNorm, generator and loss over the output tokens: NV logits, Nd, N, Vd,
 * V), `tgt.TT` (the causal mask), `d`, `B` (rows), `1`, and `batch` (the int32 token tensors).
 */
export type Features = Record<string, number>;

/** The figures of one micro-batch that the predictor models (bytes above what was alive before it). */
export const QUANTITIES = ['forward', 'kept', 'end', 'encForward', 'encBackward', 'decForward', 'decBackward', 'keptBackward', 'encKeptBackward'] as const;
/**
 * - forward: live at the end of the forward pass (every output and every saved tensor);
 * - kept: live when the backward pass starts (what the forward saved, and the batch);
 * - end: live at the end of the backward pass (every intermediate gradient too);
 * - encForward / encBackward, decForward / decBackward: a stack's first recomputed segment,
 *   at the end of its recompute's forward and of its backward;
 * - keptBackward: the end of the backward pass of the segment that keeps its tape in the stack
 *   whose backward comes first (the decoder, or a model's one stack);
 * - encKeptBackward: the same for an encoder–decoder model's encoder, after the decoder's backward.
 */
export type Quantity = (typeof QUANTITIES)[number];

/**
 * The quantities that exist for a model run with recomputed segments of `segment` layers (0:
 * none), their boundaries offloaded or not.
 */
export function quantitiesOf(cfg: ModelConfig, segment: number, offload = false): Quantity[] {
  const plans = stacksOf(cfg, { rows: 0, srcLen: 0, tgtLen: 0 }).map((stack) => ({ kind: stack.kind, ...segmentPlan(stack, segment, offload) }));
  const recomputes = (kind: 'encoder' | 'decoder') => plans.some((p) => p.kind === kind && p.recomputed > 0);
  const keeps = (i: number) => (plans[i]?.keptLayers ?? 0) > 0;
  return QUANTITIES.filter((q) => {
    if (q === 'encForward' || q === 'encBackward') return recomputes('encoder');
    if (q === 'decForward' || q === 'decBackward') return recomputes('decoder');
    // The stack whose backward comes first is the last one run.
    if (q === 'keptBackward') return keeps(plans.length - 1);
    if (q === 'encKeptBackward') return plans.length === 2 && keeps(0);
    return true;
  });
}

/** How a micro-batch runs its stacks: plainly, recomputing segments, or recomputing them from host memory. */
export type Mode = 'plain' | 'seg' | 'off';

export const modeOf = (segment: number, offload: boolean): Mode => (segment === 0 ? 'plain' : offload ? 'off' : 'seg');

/** Every quantity a model of this architecture can have in a mode. */
export const quantitiesOfArchitecture = (arch: Architecture, mode: Mode): Quantity[] =>
  QUANTITIES.filter((q) => {
    if (q === 'forward' || q === 'kept' || q === 'end') return true;
    if (mode === 'plain' || ((q === 'keptBackward' || q === 'encKeptBackward') && mode === 'off')) return false;
    return arch === 'encoder-decoder' || (q !== 'decForward' && q !== 'decBackward' && q !== 'encKeptBackward');
  });

/** Counts of elements per feature. */
export type Counts = Readonly<Record<string, number>>;

/**
 * The fitted counts of one architecture: `plain`, `seg` (recompute) and `off` (recompute from host
 * memory) bases for fp32, ReLU and no dropout, and what GELU, dropout and half precision add
 * (`seg+half`), each on its own.
 */
export type CountTable = Readonly<Record<string, Partial<Record<Quantity, Counts>>>>;

const LAYER_KEYS = ['Nd', 'NF', 'A', 'N', 'b', 'd2', 'dF', 'd', 'F', '1'] as const;
const DECODER_KEYS = ['X', 'M', 'c'] as const;
/** Layer features that also occur once per stack. */
const ONCE_KEYS = ['Nd', 'N', '1', 'b', 'M', 'c'] as const;
/** Layer features that also occur once per stack when it recomputes a segment. */
const RECOMPUTED_KEYS = ['Nd', 'N', '1', 'b', 'M', 'c'] as const;
/** Layer features that occur once per stack when it has two segments or more. */
const MULTI_KEYS = ['Nd', 'N', 'b', 'M', 'c'] as const;
const EMBED_KEYS = ['NV', 'Nd', 'N', 'T', 'sTd', 'lTd', 'Pd', 'Vd'] as const;

/**
 * The features of one micro-batch of `shape` through `cfg`, with recomputed segments of
 * `segment` layers (0: the stacks run plainly), their boundaries offloaded or not.
 */
export function microFeatures(cfg: ModelConfig, shape: MicroShape, segment: number, offload = false): Features {
  const arch = architecture(cfg);
  const { rows: B } = shape;
  const d = cfg.dModel;
  const f: Features = {};
  const add = (key: string, value: number) => {
    f[key] = (f[key] ?? 0) + value;
  };
  for (const stack of stacksOf(cfg, shape)) {
    const T = stack.length;
    const N = B * T;
    const causal = stack.kind === 'decoder' || arch === 'decoder-only';
    const per: Record<string, number> = {
      Nd: N * d,
      NF: N * cfg.dFF,
      A: B * cfg.nHeads * T * T,
      N,
      b: causal ? B * T * T : B * T,
      d2: d * d,
      dF: d * cfg.dFF,
      d,
      F: cfg.dFF,
      '1': 1,
    };
    if (stack.kind === 'decoder') Object.assign(per, { X: B * cfg.nHeads * T * shape.srcLen, M: B * shape.srcLen * d, c: B * shape.srcLen });
    const prefix = stack.kind === 'decoder' ? 'dec' : 'enc';
    const plan = segmentPlan(stack, segment, offload);
    for (const [key, value] of Object.entries(per)) {
      add(`${prefix}.L.${key}`, stack.layers * value);
      if (!cfg.normFirst) add(`${prefix}.post.${key}`, stack.layers * value);
      if (segment > 0) {
        add(`${prefix}.S.${key}`, plan.recomputed * value);
        add(`${prefix}.n.${key}`, plan.firstLayers * value);
        if (!cfg.normFirst) add(`${prefix}.np.${key}`, plan.firstLayers * value);
        add(`${prefix}.K.${key}`, plan.keptLayers * value);
        if (!cfg.normFirst) add(`${prefix}.Kp.${key}`, plan.keptLayers * value);
      }
    }
    if (plan.recomputed >= 2) for (const key of MULTI_KEYS) if (per[key] !== undefined) add(`${prefix}.m.${key}`, per[key]);
    if (plan.recomputed >= 1) for (const key of RECOMPUTED_KEYS) if (per[key] !== undefined) add(`${prefix}.r.${key}`, per[key]);
    for (const key of ONCE_KEYS) {
      if (per[key] === undefined) continue;
      add(`${prefix}.1.${key}`, per[key]);
      if (!cfg.normFirst) add(`${prefix}.1p.${key}`, per[key]);
    }
  }
  const learned = cfg.positional === 'learned';
  const embed = (side: 'src' | 'tgt', T: number, V: number) => {
    add(`${side}.NV`, B * T * V);
    add(`${side}.Nd`, B * T * d);
    add(`${side}.N`, B * T);
    add(`${side}.T`, T);
    add(`${side}.${learned ? 'lTd' : 'sTd'}`, T * d);
    add(`${side}.Pd`, learned ? cfg.maxLen * d : 0);
    add(`${side}.Vd`, V * d);
  };
  const Vt = cfg.tgtVocabSize;
  if (arch !== 'decoder-only') embed('src', shape.srcLen, cfg.srcVocabSize ?? 0);
  if (arch !== 'encoder-only') embed('tgt', shape.tgtLen, Vt);
  const To = arch === 'encoder-only' ? shape.srcLen : shape.tgtLen;
  add('head.NV', B * To * Vt);
  add('head.Nd', B * To * d);
  add('head.N', B * To);
  add('head.Vd', Vt * d);
  add('head.V', Vt);
  if (arch !== 'encoder-only') add('tgt.TT', shape.tgtLen * shape.tgtLen);
  add('d', d);
  add('B', B);
  add('1', 1);
  add('batch', B * (shape.srcLen + shape.tgtLen + To));
  return f;
}

/**
 * Every feature key a model of this architecture can have, in the order the calibration
 * prefers them: of features that are always equal (the embedding's and the stack's N·dModel in
 * an encoder-only model), the earlier one keeps the count.
 */
export function featureKeys(arch: Architecture, mode: Mode): string[] {
  const keys: string[] = [];
  const stacks: ('enc' | 'dec')[] = arch === 'encoder-decoder' ? ['enc', 'dec'] : ['enc'];
  const layerKeys = (stack: 'enc' | 'dec') => [...LAYER_KEYS, ...(stack === 'dec' ? DECODER_KEYS : [])];
  const forStacks = (mults: string[], keysOf: (stack: 'enc' | 'dec') => readonly string[]) => {
    for (const mult of mults) for (const stack of stacks) for (const key of keysOf(stack)) keys.push(`${stack}.${mult}.${key}`);
  };
  forStacks(['L', 'post'], layerKeys);
  const sides = arch === 'encoder-decoder' ? ['src', 'tgt'] : arch === 'decoder-only' ? ['tgt'] : ['src'];
  for (const side of sides) for (const key of EMBED_KEYS) keys.push(`${side}.${key}`);
  keys.push('head.NV', 'head.Nd', 'head.N', 'head.Vd', 'head.V');
  if (arch !== 'encoder-only') keys.push('tgt.TT');
  keys.push('d', 'B', '1', 'batch');
  const stackKeys = (list: readonly string[]) => (stack: 'enc' | 'dec') => list.filter((k) => stack === 'dec' || (k !== 'M' && k !== 'c'));
  if (mode !== 'plain') {
    forStacks(['S', 'n', 'np', 'K', 'Kp'], layerKeys);
    forStacks(['m'], stackKeys(MULTI_KEYS));
    forStacks(['r'], stackKeys(RECOMPUTED_KEYS));
  }
  forStacks(['1', '1p'], stackKeys(ONCE_KEYS));
  return keys;
}
