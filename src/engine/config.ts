import { z } from 'zod';
import { ConfigError, parseWith } from './validation';

/** The three shapes of model that follow from the layer counts (reference README). */
export type Architecture = 'encoder-decoder' | 'decoder-only' | 'encoder-only';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.number().int().min(min).max(max);

/** Model config exactly as the reference's `torch_reference.py` reads it, with its defaults. */
const modelSchema = z
  .object({
    srcVocabSize: int(3, 1_000_000).optional(),
    tgtVocabSize: int(3, 1_000_000),
    dModel: int(2, 65_536),
    nHeads: int(1, 1024),
    nEncoderLayers: int(0, 256).default(0),
    nDecoderLayers: int(0, 256).default(0),
    dFF: int(1, 1_048_576),
    dropout: z.number().min(0).lt(1).default(0),
    activation: z.enum(['relu', 'gelu']).default('relu'),
    normFirst: z.boolean().default(true),
    maxLen: int(1, 65_536),
    positional: z.enum(['sinusoidal', 'learned']).default('sinusoidal'),
    layerNormEps: z.number().gt(0).lt(1).default(1e-5),
  })
  .strict()
  .superRefine((m, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (m.dModel % 2 !== 0) fail('dModel', `dModel ${m.dModel} must be even`);
    if (m.dModel % m.nHeads !== 0) fail('dModel', `dModel ${m.dModel} is not divisible by nHeads ${m.nHeads}`);
    if (m.nEncoderLayers === 0 && m.nDecoderLayers === 0) {
      fail('nEncoderLayers', 'a model needs encoder or decoder layers: nEncoderLayers and nDecoderLayers are both 0');
    }
    if (m.nEncoderLayers > 0 && m.srcVocabSize === undefined) {
      fail('srcVocabSize', 'srcVocabSize is required when the model has encoder layers');
    }
  });

export type ModelConfig = z.infer<typeof modelSchema>;

/**
 * Validates a model config. `prefix` names where it sits (e.g. `model` in a run config);
 * `vocab` fills the vocabulary sizes that a run config may leave to its task.
 */
export function parseModelConfig(
  raw: unknown,
  opts: { prefix?: string; vocab?: { src: number; tgt: number } } = {},
): ModelConfig {
  let input = raw;
  if (opts.vocab && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const m = raw as Record<string, unknown>;
    input = { srcVocabSize: opts.vocab.src, tgtVocabSize: opts.vocab.tgt, ...m };
    if (architectureOfRaw(m) === 'decoder-only' && !('srcVocabSize' in m)) {
      delete (input as Record<string, unknown>).srcVocabSize;
    }
  }
  return parseWith(modelSchema, input, opts.prefix ?? 'model');
}

function architectureOfRaw(m: Record<string, unknown>): Architecture | undefined {
  const enc = typeof m.nEncoderLayers === 'number' ? m.nEncoderLayers : 0;
  const dec = typeof m.nDecoderLayers === 'number' ? m.nDecoderLayers : 0;
  if (enc > 0 && dec > 0) return 'encoder-decoder';
  if (dec > 0) return 'decoder-only';
  if (enc > 0) return 'encoder-only';
  return undefined;
}

export function architecture(cfg: ModelConfig): Architecture {
  const arch = architectureOfRaw(cfg);
  if (!arch) throw new ConfigError([{ path: 'model.nEncoderLayers', message: 'a model needs encoder or decoder layers' }]);
  return arch;
}

export const headDim = (cfg: ModelConfig) => cfg.dModel / cfg.nHeads;

/** The encoder's vocabulary: decoder-only models have none. */
export function srcVocab(cfg: ModelConfig): number {
  if (cfg.srcVocabSize === undefined) throw new ConfigError([{ path: 'model.srcVocabSize', message: 'srcVocabSize is required' }]);
  return cfg.srcVocabSize;
}
