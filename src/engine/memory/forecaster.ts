import type { ForecasterConfig } from '../forecaster/config';
import { isForecaster, type LabModelConfig } from '../modelKind';
import type { PrecisionPolicy } from '../precision/policy';
import type { Batch } from '../../tasks/types';
import type { SeriesBatch } from '../../tasks/forecast/batches';
import { hasHalfKernels } from '../kernels/half';
import { MemoryMeter, stepMeter } from './meter';
import { segmentPlan } from './shapes';

/**
 * Bytes of the forecaster's segment boundaries: one [rows, N, dModel] boundary per recomputed
 * segment, packed two halves per int32 element under a half storage (or rounded float32 values
 * where the backend has no packing kernel). 0 without recompute.
 */
function forecasterBoundaryBytes(cfg: ForecasterConfig, policy: PrecisionPolicy, rows: number, packed: boolean): number {
  const values = rows * cfg.nVariates * cfg.dModel;
  const { recomputed } = segmentPlan({ layers: cfg.nLayers }, policy.segmentSize, policy.offload);
  return recomputed * (policy.boundaryStorage !== 'fp32' && packed ? 4 * Math.ceil(values / 2) : 4 * values);
}

/** The boundaries kept at half size on the device (shapes.ts `halfCopyBytes`, for a forecaster). */
export function forecasterHalfCopyBytes(cfg: ForecasterConfig, policy: PrecisionPolicy, rows: number, packed = true): number {
  return policy.boundaryStorage === 'fp32' || policy.offload ? 0 : forecasterBoundaryBytes(cfg, policy, rows, packed);
}

/** The boundaries waiting in host memory (shapes.ts `hostBoundaryBytes`, for a forecaster). */
export function forecasterHostBytes(cfg: ForecasterConfig, policy: PrecisionPolicy, rows: number, packed = true): number {
  return policy.offload ? forecasterBoundaryBytes(cfg, policy, rows, packed) : 0;
}

/** The meter of one training step of either kind of model, knowing the half-size boundaries the policy keeps. */
export function meterFor(cfg: LabModelConfig, policy: PrecisionPolicy, microBatches: readonly (Batch | SeriesBatch)[], trace = false): MemoryMeter {
  if (!isForecaster(cfg)) return stepMeter(cfg, policy, microBatches as Batch[], trace);
  if (policy.boundaryStorage === 'fp32') return new MemoryMeter(undefined, trace);
  const packed = hasHalfKernels();
  return new MemoryMeter((micro) => {
    const b = microBatches[micro] as SeriesBatch | undefined;
    return b ? forecasterHalfCopyBytes(cfg, policy, b.rows, packed) : 0;
  }, trace);
}
