import type { RunConfig } from '../runConfig';
import { Trainer } from '../train/trainer';
import { memoryDiet, plainBaseline, withTrain } from '../presets';
import { benchmark, type BenchResult } from './bench';

export interface VariantResult {
  label: string;
  result: BenchResult;
  /** Peak and step time over the baseline's. */
  memoryRatio: number;
  timeRatio: number;
  /** The target for this variant, and whether the measurement meets it. */
  target: string;
  met: boolean;
}

interface Variant {
  label: string;
  run: RunConfig;
  target: string;
  meets: (memory: number, time: number) => boolean;
}

/**
 * Each memory-saving toggle against the plain fp32 baseline on the same run, at equal effective
 * batch; accumulation is measured as k = 8 micro-batches of the baseline's batch.
 */
export async function memorySuite(run: RunConfig, steps: number, onVariant?: (label: string) => void): Promise<VariantResult[]> {
  const base = plainBaseline(run);
  const b = base.train.batchSize;
  const variants: Variant[] = [
    { label: 'baseline fp32', run: base, target: '', meets: () => true },
    { label: 'checkpointing "layers"', run: withTrain(base, { checkpointing: 'layers' }), target: 'memory ≤ 0.5×, time ≤ 1.4×', meets: (m, t) => m <= 0.5 && t <= 1.4 },
    { label: 'fp16 autocast', run: withTrain(base, { precision: 'fp16' }), target: 'memory ≤ 0.65×', meets: (m) => m <= 0.65 },
    { label: 'bf16 autocast', run: withTrain(base, { precision: 'bf16' }), target: 'memory ≤ 0.65×', meets: (m) => m <= 0.65 },
    {
      label: `accumulation k=8 of batch ${b}`,
      run: withTrain(base, { batchSize: 8 * b, gradAccumSteps: 8 }),
      target: 'memory ≤ 1.05× one step of the batch',
      meets: (m) => m <= 1.05,
    },
  ];
  const results: VariantResult[] = [];
  for (const v of variants) {
    onVariant?.(v.label);
    const result = await benchmark(v.run, { steps, warmup: 1 });
    const baseline = results[0]?.result ?? result;
    const memoryRatio = result.peakBytes / baseline.peakBytes;
    const timeRatio = result.stepMs / baseline.stepMs;
    results.push({ label: v.label, result, memoryRatio, timeRatio, target: v.target, met: v.meets(memoryRatio, timeRatio) });
  }
  return results;
}

export interface DietResult {
  baseline: { peakBytes: number; exactMatch: number; stepMs: number };
  diet: { peakBytes: number; exactMatch: number; stepMs: number };
  ratio: number;
  /** Diet accuracy over the baseline's. */
  accuracyShare: number;
  met: boolean;
}

async function trainAndMeasure(run: RunConfig, onStep?: (step: number, total: number) => void) {
  const { peakBytes } = await benchmark(run, { steps: 1, warmup: 1 });
  const trainer = Trainer.create(run);
  const times: number[] = [];
  trainer.subscribe((e) => {
    if (e.type === 'step') {
      times.push(e.metrics.stepMs);
      onStep?.(e.metrics.step + 1, run.train.steps);
    }
  });
  try {
    await trainer.train();
    const { exactMatch = 0 } = await trainer.evaluate();
    return { peakBytes, exactMatch, stepMs: [...times].sort((a, c) => a - c)[Math.floor(times.length / 2)]! };
  } finally {
    trainer.dispose();
  }
}

/** The plain baseline and the memory-diet preset trained to the end of the run, side by side. */
export async function dietSuite(
  run: RunConfig,
  onProgress?: (which: 'baseline' | 'diet', step: number, total: number) => void,
): Promise<DietResult> {
  const baseline = await trainAndMeasure(plainBaseline(run), (s, t) => onProgress?.('baseline', s, t));
  const diet = await trainAndMeasure(memoryDiet(run), (s, t) => onProgress?.('diet', s, t));
  const ratio = baseline.peakBytes / diet.peakBytes;
  const accuracyShare = diet.exactMatch / Math.max(baseline.exactMatch, 1e-9);
  return { baseline, diet, ratio, accuracyShare, met: ratio >= 20 && accuracyShare >= 0.95 };
}
