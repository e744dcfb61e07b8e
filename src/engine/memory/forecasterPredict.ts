import type { ForecastRunConfig } from '../runConfig';
import { parameterCountOf } from '../modelKind';
import { precisionPolicy } from '../precision/policy';
import type { MemoryBreakdown } from './breakdown';
import { forecasterHalfCopyBytes, forecasterHostBytes } from './forecaster';
import { FORECASTER_COUNTS } from './forecasterCoefficients';
import { forecasterFeatures, forecasterQuantitiesOf, type ForecasterQuantity } from './forecasterFeatures';
import { modeOf } from './features';
import { optimizerSlots, stepPeak } from './predict';

/**
 * A forecaster's training step, predicted from its run config alone (as predict.ts does for token
 * models, with the forecaster's own features and fitted counts). Plain TypeScript: the page calls
 * it as the user types.
 */
export function predictForecasterMemory(run: ForecastRunConfig): MemoryBreakdown {
  const { model: cfg, train: t } = run;
  const rows = t.batchSize / t.gradAccumSteps;
  const policy = precisionPolicy(t);
  const segment = policy.segmentSize;
  const features = forecasterFeatures(cfg, rows, segment, policy.offload);
  const mode = modeOf(segment, policy.offload);
  const parts = [
    FORECASTER_COUNTS[mode],
    cfg.activation === 'gelu' ? FORECASTER_COUNTS[`${mode}+gelu`] : undefined,
    cfg.dropout > 0 ? FORECASTER_COUNTS[`${mode}+dropout`] : undefined,
    cfg.useNorm ? FORECASTER_COUNTS[`${mode}+norm`] : undefined,
    policy.boundaryStorage !== 'fp32' ? FORECASTER_COUNTS[`${mode}+half`] : undefined,
  ].filter((p) => p !== undefined);
  const micro: Partial<Record<ForecasterQuantity, number>> = {};
  for (const q of forecasterQuantitiesOf(cfg, segment, policy.offload)) {
    let elements = 0;
    for (const part of parts) for (const [key, count] of Object.entries(part[q] ?? {})) elements += count * (features[key] ?? 0);
    micro[q] = 4 * elements;
  }
  const parameters = 4 * parameterCountOf(cfg);
  const gradients = parameters;
  const optimizerState = optimizerSlots(t.optimizer) * parameters;
  const batchTensors = 4 * rows * (cfg.lookback + cfg.horizon) * cfg.nVariates;
  const halfCopies = forecasterHalfCopyBytes(cfg, policy, rows);
  const savedActivations = Math.max(0, (micro.kept ?? 0) - batchTensors - halfCopies);
  const microPeak = Math.max(micro.forward ?? 0, micro.end ?? 0, micro.encForward ?? 0, micro.encBackward ?? 0, micro.keptBackward ?? 0);
  const peak = stepPeak({
    resident: parameters + optimizerState, gradients, microPeak, accumulating: t.gradAccumSteps > 1, lossScaling: policy.lossScaling, clipping: t.clipGradNorm !== null,
  });
  const known = parameters + gradients + optimizerState + savedActivations + halfCopies;
  return {
    parameters, gradients, optimizerState, savedActivations, halfCopies, other: Math.max(0, peak - known), peak, backendInUse: 0,
    ...(policy.offload ? { host: forecasterHostBytes(cfg, policy, rows) } : {}),
  };
}
