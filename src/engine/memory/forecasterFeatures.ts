import type { ForecasterConfig } from '../forecaster/config';
import { modeOf, type Counts, type Mode } from './features';
import { segmentPlan } from './shapes';

/*
 * The forecaster's memory features (the same idea as features.ts, for its own shapes): counts of
 * float32 elements whose whole-number multiples make up each memory figure of a micro-batch of
 * `rows` windows. Its stack runs over the N variate tokens, so the token features apply with
 * T = N and no mask: `enc.L.Nd` = layers·rows·N·dModel, `enc.L.A` = layers·rows·heads·N², and so
 * on, with the same multipliers (`.L.`, `.post.`, `.S.`, `.n.`, `.np.`, `.K.`, `.Kp.`, `.m.`, `.r.`,
 * `.1.`, `.1p.`); its one stack's last segment keeps its tape.
 * Outside the stack: `x` rows·L·N (the inputs, their normalised and transposed copies, the
 * embedding's input), `y` rows·H·N (the projection, its transpose, the forecast, the targets and
 * the errors), `st` rows·N (a window's mean and std), `Ld` and `Hd` (the embedding and projector
 * weights), `L`, `H`, `d`, `B` (rows) and `1`.
 */

export type ForecasterQuantity = 'forward' | 'kept' | 'end' | 'encForward' | 'encBackward' | 'keptBackward';

/** Every quantity a forecaster can have in a mode (features.ts `Mode`). */
export const FORECASTER_QUANTITIES = (mode: Mode): ForecasterQuantity[] => {
  if (mode === 'plain') return ['forward', 'kept', 'end'];
  return mode === 'seg' ? ['forward', 'kept', 'end', 'encForward', 'encBackward', 'keptBackward'] : ['forward', 'kept', 'end', 'encForward', 'encBackward'];
};

/** The quantities of this forecaster with recomputed segments of `segment` layers (0: none), offloaded or not. */
export function forecasterQuantitiesOf(cfg: ForecasterConfig, segment: number, offload = false): ForecasterQuantity[] {
  const plan = segmentPlan({ layers: cfg.nLayers }, segment, offload);
  return FORECASTER_QUANTITIES(modeOf(segment, offload)).filter((q) => (q === 'encForward' || q === 'encBackward' ? plan.recomputed > 0 : true));
}

const LAYER_KEYS = ['Nd', 'NF', 'A', 'N', 'd2', 'dF', 'd', 'F', '1'] as const;
const ONCE_KEYS = ['Nd', 'N', '1'] as const;
const MULTI_KEYS = ['Nd', 'N'] as const;
const OUTER_KEYS = ['x', 'y', 'st', 'Ld', 'Hd', 'L', 'H', 'd', 'B', '1'] as const;

/** The features of one micro-batch of `rows` windows, with recomputed segments of `segment` layers (0: none), offloaded or not. */
export function forecasterFeatures(cfg: ForecasterConfig, rows: number, segment: number, offload = false): Record<string, number> {
  const f: Record<string, number> = {};
  const add = (key: string, v: number) => {
    f[key] = (f[key] ?? 0) + v;
  };
  const n = cfg.nVariates;
  const d = cfg.dModel;
  const tokens = rows * n;
  const per: Record<string, number> = {
    Nd: tokens * d, NF: tokens * cfg.dFF, A: rows * cfg.nHeads * n * n, N: tokens, d2: d * d, dF: d * cfg.dFF, d, F: cfg.dFF, '1': 1,
  };
  const layers = cfg.nLayers;
  const plan = segmentPlan({ layers }, segment, offload);
  for (const [key, value] of Object.entries(per)) {
    add(`enc.L.${key}`, layers * value);
    if (!cfg.normFirst) add(`enc.post.${key}`, layers * value);
    if (segment > 0) {
      add(`enc.S.${key}`, plan.recomputed * value);
      add(`enc.n.${key}`, plan.firstLayers * value);
      if (!cfg.normFirst) add(`enc.np.${key}`, plan.firstLayers * value);
      add(`enc.K.${key}`, plan.keptLayers * value);
      if (!cfg.normFirst) add(`enc.Kp.${key}`, plan.keptLayers * value);
    }
  }
  if (plan.recomputed >= 2) for (const key of MULTI_KEYS) add(`enc.m.${key}`, per[key]!);
  if (plan.recomputed >= 1) for (const key of ONCE_KEYS) add(`enc.r.${key}`, per[key]!);
  for (const key of ONCE_KEYS) {
    add(`enc.1.${key}`, per[key]!);
    if (!cfg.normFirst) add(`enc.1p.${key}`, per[key]!);
  }
  Object.assign(f, {
    x: rows * cfg.lookback * n, y: rows * cfg.horizon * n, st: tokens, Ld: cfg.lookback * d, Hd: cfg.horizon * d,
    L: cfg.lookback, H: cfg.horizon, d: (f.d ?? 0) + d, B: rows, '1': (f['1'] ?? 0) + 1,
  });
  return f;
}

/** Every feature key, in the order the calibration prefers them (an earlier one keeps the count of equal features). */
export function forecasterFeatureKeys(mode: Mode): string[] {
  const keys: string[] = [];
  for (const mult of ['L', 'post']) for (const key of LAYER_KEYS) keys.push(`enc.${mult}.${key}`);
  keys.push(...OUTER_KEYS);
  if (mode !== 'plain') {
    for (const mult of ['S', 'n', 'np', 'K', 'Kp']) for (const key of LAYER_KEYS) keys.push(`enc.${mult}.${key}`);
    for (const key of MULTI_KEYS) keys.push(`enc.m.${key}`);
    for (const key of ONCE_KEYS) keys.push(`enc.r.${key}`);
  }
  for (const mult of ['1', '1p']) for (const key of ONCE_KEYS) keys.push(`enc.${mult}.${key}`);
  return keys;
}

/** The fitted counts: `plain` and `seg` bases (fp32, ReLU, no dropout, no window normalisation) and what each change adds. */
export type ForecasterCountTable = Readonly<Record<string, Partial<Record<ForecasterQuantity, Counts>>>>;
