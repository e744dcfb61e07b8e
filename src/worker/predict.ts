/**
 * Memory prediction from a config alone, by the engine's predictor (src/engine/memory/predict.ts).
 * Should it fail on some config, the worker still predicts what follows exactly from the
 * parameter count (parameters, gradients, optimizer slots) and says the prediction is partial.
 */
import { predictForecasterMemory } from '../engine/memory/forecasterPredict';
import { optimizerSlots, predictMemory } from '../engine/memory/predict';
import { parameterCountOf } from '../engine/modelKind';
import { isForecastRun, parseLabRunConfig, type LabRunConfig } from '../engine/runConfig';
import type { SeriesSource } from '../tasks/forecast/task';
import { MEMORY_CATEGORIES, type MemoryPrediction } from './protocol';

/** The prediction for an already validated run config. */
export function predictRun(run: LabRunConfig): MemoryPrediction {
  const count = parameterCountOf(run.model);
  try {
    const m = isForecastRun(run) ? predictForecasterMemory(run) : predictMemory(run);
    const bytes: MemoryPrediction['bytes'] = { peak: m.peak };
    for (const c of MEMORY_CATEGORIES) bytes[c] = m[c];
    if (m.host !== undefined) bytes.host = m.host;
    return { parameterCount: count, bytes, partial: false };
  } catch (e) {
    const fp32 = count * 4;
    return {
      parameterCount: count,
      bytes: { parameters: fp32, gradients: fp32, optimizerState: fp32 * optimizerSlots(run.train.optimizer) },
      partial: true,
      note: `parameters, gradients and optimizer state only: the engine's predictor failed (${e instanceof Error ? e.message : String(e)})`,
    };
  }
}

/** Predicted peak bytes of a run, for ranking memory-saving settings (undefined when unknown). */
export function predictedPeak(run: LabRunConfig): number | undefined {
  const p = predictRun(run);
  return p.partial ? undefined : p.bytes.peak;
}

/** Parses a raw config and predicts; null (with the engine's message) when the config is invalid. */
export function predictRaw(raw: unknown, series?: SeriesSource): { prediction: MemoryPrediction | null; message?: string } {
  let run: LabRunConfig;
  try {
    run = parseLabRunConfig(raw, series);
  } catch (e) {
    return { prediction: null, message: e instanceof Error ? e.message : String(e) };
  }
  return { prediction: predictRun(run) };
}
