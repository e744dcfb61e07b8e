import { z } from 'zod';
import { parseWith } from '../validation';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

/**
 * The forecaster's model config (reference README, "Forecaster"): iTransformer, every variate's
 * lookback window one token. Defaults as `torch_reference.py`'s LabForecaster reads them.
 */
const forecasterSchema = z
  .object({
    kind: z.literal('forecaster'),
    lookback: int(1, 2048),
    horizon: int(1, 1024),
    nVariates: int(1, 4096),
    dModel: int(2, 65_536),
    nHeads: int(1, 1024),
    nLayers: int(0, 256),
    dFF: int(1, 1_048_576),
    dropout: z.number().min(0).lt(1).default(0),
    activation: z.enum(['relu', 'gelu']).default('gelu'),
    normFirst: z.boolean().default(true),
    layerNormEps: z.number().gt(0).lt(1).default(1e-5),
    useNorm: z.boolean().default(true),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.dModel % m.nHeads !== 0) ctx.addIssue({ code: 'custom', path: ['dModel'], message: `dModel ${m.dModel} is not divisible by nHeads ${m.nHeads}` });
  });

export type ForecasterConfig = z.infer<typeof forecasterSchema>;

/** What a run's forecast task sets when the model leaves it out. */
export interface ForecastShape {
  lookback: number;
  horizon: number;
  nVariates: number;
}

/** Validates a forecaster config; `shape` fills lookback, horizon and nVariates a run config may leave to its task. */
export function parseForecasterConfig(raw: unknown, opts: { prefix?: string; shape?: ForecastShape } = {}): ForecasterConfig {
  const isObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const input = isObject && opts.shape ? { ...opts.shape, ...(raw as Record<string, unknown>) } : raw;
  return parseWith(forecasterSchema, input, opts.prefix ?? 'model');
}
