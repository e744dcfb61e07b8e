import type { ForecasterConfig } from '../forecaster/config';
import { isForecaster, type LabModelConfig } from '../modelKind';
import type { PrecisionPolicy } from '../precision/policy';
import type { Batch } from '../../tasks/types';
import type { SeriesBatch } from '../../tasks/forecast/batches';
import { hasHalfKernels } from '../kernels/half';
import { MemoryMeter, stepMeter } from './meter';
import { segmentPlan } from './shapes';

/**
 * Bytes of the forecaster's segment boundaries kept at half size: one [rows, N, dModel] boundary
 * per recomputed segment, packed two halves per int32 element (or rounded float32 values where the
 * backend has no packing kernel). 0 under fp32 storage or without recompute.
 */
export function forecasterHalfCopyBytes(cfg: ForecasterConfig, policy: PrecisionPolicy, rows: number, packed = true): number {
  if (policy.boundaryStorage === 'fp32') return 0;
  const values = rows * cfg.nVariates * cfg.dModel;
  const { recomputed } = segmentPlan({ layers: cfg.nLayers, final: true }, policy.segmentSize);
  return recomputed * (packed ? 4 * Math.ceil(values / 2) : 4 * values);
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
