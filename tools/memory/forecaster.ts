/**
 * The forecaster's part of tools/memory/calibrate.ts (`--kind forecaster`): random tiny
 * forecasters measured one micro-batch at a time, each memory figure fitted as whole-number
 * counts of the features of src/engine/memory/forecasterFeatures.ts, checked to reproduce every
 * measurement to the byte, and written to src/engine/memory/forecasterCoefficients.ts.
 */
import { writeFileSync } from 'node:fs';
import { measureMicroBatch, type MicroSamples } from '../../src/engine/bench/measure';
import { parseForecasterConfig } from '../../src/engine/forecaster/config';
import { FORECASTER_QUANTITIES, forecasterFeatureKeys, forecasterFeatures, forecasterQuantitiesOf, type ForecasterQuantity } from '../../src/engine/memory/forecasterFeatures';
import type { Mode } from '../../src/engine/memory/features';
import { TransformerModel } from '../../src/engine/model/model';
import { segmentSize, type Checkpointing } from '../../src/engine/precision/policy';
import { independentColumns, leastSquares } from './lsq';

interface Family {
  precision: 'fp32' | 'fp16';
  mode: Mode;
  activation: 'relu' | 'gelu';
  dropout: boolean;
  useNorm: boolean;
}
const CHANGES = ['gelu', 'dropout', 'norm', 'half'] as const;
type Change = (typeof CHANGES)[number];
const changesOf = (f: Family): Record<Change, boolean> => ({ gelu: f.activation === 'gelu', dropout: f.dropout, norm: f.useNorm, half: f.precision !== 'fp32' });

const FAMILIES: Family[] = (['fp32', 'fp16'] as const).flatMap((precision) =>
  (precision === 'fp32' ? (['plain', 'seg', 'off'] as const) : (['seg', 'off'] as const)).flatMap((mode) =>
    (['relu', 'gelu'] as const).flatMap((activation) =>
      [false, true].flatMap((dropout) => [false, true].map((useNorm) => ({ precision, mode, activation, dropout, useNorm }))),
    ),
  ),
);

const value = (m: MicroSamples, q: ForecasterQuantity): number => {
  switch (q) {
    case 'forward':
      return m.forwardEnd;
    case 'kept':
      return m.kept;
    case 'end':
      return m.end;
    case 'encForward':
      return m.encoderStack.forward;
    case 'encBackward':
      return m.encoderStack.backward;
    case 'keptBackward':
      return m.keptBackward;
  }
};

export async function calibrateForecaster(opts: { write: boolean; force: boolean; seed: number; backend: string }): Promise<boolean> {
  let state = opts.seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

  const measure = async (family: Family) => {
    const h = pick([1, 2, 4]);
    const cfg = parseForecasterConfig({
      kind: 'forecaster', lookback: between(2, 12), horizon: between(1, 8), nVariates: between(1, 7), dModel: h * pick([2, 4, 6]), nHeads: h,
      nLayers: between(1, 4), dFF: between(3, 30), dropout: family.dropout ? 0.1 : 0, activation: family.activation, normFirst: random() < 0.5, useNorm: family.useNorm,
    });
    const checkpointing: Checkpointing =
      family.mode === 'plain' ? 'none' : pick(family.precision === 'fp32' && family.mode === 'seg' ? ['layers', 1, 2, 3] : ['none', 'layers', 2, 3]);
    const offload = family.mode === 'off' ? 'activations' : 'none';
    const rows = between(1, 6);
    const n = cfg.nVariates;
    const x = Float32Array.from({ length: rows * cfg.lookback * n }, (_, i) => Math.sin(i * 0.7) + (i % 5));
    const y = Float32Array.from({ length: rows * cfg.horizon * n }, (_, i) => Math.cos(i * 0.3));
    const model = TransformerModel.initialise(cfg, 1);
    try {
      const measured = await measureMicroBatch(model, { rows, lookback: cfg.lookback, horizon: cfg.horizon, nVariates: n, x, y }, { checkpointing, precision: family.precision, offload });
      const segment = segmentSize(checkpointing, family.precision, offload);
      const offloaded = offload === 'activations';
      return { features: forecasterFeatures(cfg, rows, segment, offloaded), quantities: forecasterQuantitiesOf(cfg, segment, offloaded), measured };
    } finally {
      model.dispose();
    }
  };

  const table: Record<string, Partial<Record<ForecasterQuantity, Record<string, number>>>> = {};
  let worst = 0;
  for (const mode of ['plain', 'seg', 'off'] as const) {
    const families = FAMILIES.filter((f) => f.mode === mode);
    const keys = forecasterFeatureKeys(mode);
    const changes = CHANGES.filter((c) => families.some((f) => changesOf(f)[c]));
    const samples: { family: Family; sample: Awaited<ReturnType<typeof measure>> }[] = [];
    for (const family of families) for (let i = 0; i < Math.ceil(keys.length * 1.5) + 8; i++) samples.push({ family, sample: await measure(family) });
    const row = ({ family, sample }: (typeof samples)[number]) => {
      const x = keys.map((k) => sample.features[k] ?? 0);
      const on = changesOf(family);
      return [...x, ...changes.flatMap((c) => (on[c] ? x : x.map(() => 0)))];
    };
    for (const q of FORECASTER_QUANTITIES(mode)) {
      // Each quantity is fitted on the samples that have it (a stack may recompute nothing).
      const having = samples.filter(({ sample }) => sample.quantities.includes(q));
      if (having.length === 0) continue;
      const X = having.map(row);
      const columns = independentColumns(X);
      const y = having.map(({ sample }) => value(sample.measured, q) / 4);
      const c = leastSquares(X, y, columns).map((v) => Math.round(v * 4) / 4);
      const part = (i: number) => Object.fromEntries(keys.map((k, j) => [k, c[i * keys.length + j]!] as const).filter(([, v]) => v !== 0));
      (table[mode] ??= {})[q] = part(0);
      changes.forEach((change, i) => ((table[`${mode}+${change}`] ??= {})[q] = part(i + 1)));
      let relative = 0;
      having.forEach((_, i) => {
        const predicted = X[i]!.reduce((a, xv, j) => a + xv * c[j]!, 0);
        relative = Math.max(relative, Math.abs(predicted - y[i]!) / Math.max(1, y[i]!));
      });
      worst = Math.max(worst, relative);
      console.log(`forecaster ${mode} ${q}: worst residual ${(100 * relative).toFixed(4)}% over ${having.length} samples`);
    }
  }
  const exact = worst < 1e-6;
  if (!exact) console.error('the counts do not reproduce every measurement: a feature is missing (see forecasterFeatures.ts)');
  if (opts.write && (exact || opts.force)) {
    const counts = (c: Record<string, number>) => `{ ${Object.entries(c).map(([k, v]) => `'${k}': ${v}`).join(', ')} }`;
    const body = Object.entries(table).map(([part, fit]) => `  '${part}': {\n${Object.entries(fit).map(([q, c]) => `    ${q}: ${counts(c)},`).join('\n')}\n  },`).join('\n');
    writeFileSync('src/engine/memory/forecasterCoefficients.ts', `/*
 * GENERATED by tools/memory/calibrate.ts --kind forecaster (${opts.backend} backend, TF.js 4.22): do not edit by hand.
 * Rerun \`npx tsx tools/memory/calibrate.ts --kind forecaster --write\` after changing the forecaster,
 * the checkpointing or the precision code; it fails loudly (residuals) when the counts stop fitting.
 *
 * How many float32 elements of each feature (forecasterFeatures.ts) one micro-batch's memory
 * figures hold: \`plain\` and \`seg\` (recomputed segments) for fp32, ReLU, no dropout and no window
 * normalisation, and what \`+gelu\`, \`+dropout\`, \`+norm\` (useNorm) and \`+half\` (fp16 / bf16) add.
 */
import type { ForecasterCountTable } from './forecasterFeatures';

export const FORECASTER_COUNTS: ForecasterCountTable = {
${body}
};
`);
    console.log('wrote src/engine/memory/forecasterCoefficients.ts');
  }
  console.log(`worst residual ${(100 * worst).toFixed(4)}%`);
  return exact;
}
