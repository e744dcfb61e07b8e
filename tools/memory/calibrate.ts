/**
 * Fits the coefficients of the memory predictor (src/engine/memory/coefficients.ts).
 *
 *   npx tsx tools/memory/calibrate.ts [--write] [--backend wasm|cpu] [--family KEY] [--arch ARCH]
 *                                     [--out TABLE.json] [--dump SAMPLES.json] [--seed N]
 *   npx tsx tools/memory/calibrate.ts --from TABLE.json   (only rewrite coefficients.ts from a table)
 *   npx tsx tools/memory/calibrate.ts --kind forecaster [--write]   (the forecaster's counts,
 *                                     src/engine/memory/forecasterCoefficients.ts; about a minute)
 *
 * About four minutes on 2 cores (wasm). `--write` replaces src/engine/memory/coefficients.ts
 * when the fit is exact (or with `--force`).
 *
 * For every family (precision × recompute × activation × dropout) and architecture it
 * measures random tiny models (tf.profile of one micro-batch's gradient step, on batches
 * without padding), and fits each memory figure of predict.ts as a linear function of the
 * features of features.ts by least squares. The counts are whole numbers or halves (every
 * tensor TF.js keeps is a multiple of one of the features), so the fit is exact: the script
 * rounds them to quarters and checks that every measurement is reproduced to the byte.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { startBackend, type NodeBackend } from '../../src/cli/nodeBackend';
import { measureMicroBatch, type MicroSamples } from '../../src/engine/bench/measure';
import { parseModelConfig, type Architecture } from '../../src/engine/config';
import { featureKeys, microFeatures, quantitiesOf, quantitiesOfArchitecture, type Counts, type Mode, type Quantity } from '../../src/engine/memory/features';
import { microShape } from '../../src/engine/memory/shapes';
import { TransformerModel } from '../../src/engine/model/model';
import { segmentSize, type Checkpointing } from '../../src/engine/precision/policy';
import type { Batch } from '../../src/tasks/types';
import { independentColumns, leastSquares } from './lsq';
import { calibrateForecaster } from './forecaster';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    family: { type: 'string' },
    arch: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    dump: { type: 'string' },
    write: { type: 'boolean', default: false },
    from: { type: 'string' },
    kind: { type: 'string', default: 'transformer' },
  },
});
if (flags.from) {
  // Only regenerate coefficients.ts from an earlier run's table.
  writeFileSync('src/engine/memory/coefficients.ts', coefficientsModule(JSON.parse(readFileSync(flags.from, 'utf8')), flags.backend!));
  process.exit(0);
}
await startBackend(flags.backend as NodeBackend);
if (flags.kind === 'forecaster') {
  process.exitCode = (await calibrateForecaster({ write: flags.write!, force: flags.force!, seed: Number(flags.seed), backend: flags.backend! })) ? 0 : 1;
  process.exit();
}

let state = Number(flags.seed) >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const ARCHS: Architecture[] = ['encoder-decoder', 'decoder-only', 'encoder-only'];

/** What changes the counts: half precision (always with recompute), recompute, activation, dropout. */
interface Family {
  precision: 'fp32' | 'fp16';
  mode: Mode;
  activation: 'relu' | 'gelu';
  dropout: boolean;
}
const FAMILIES: Family[] = (['fp32', 'fp16'] as const).flatMap((precision) =>
  (precision === 'fp32' ? (['plain', 'seg', 'off'] as const) : (['seg', 'off'] as const)).flatMap((mode) =>
    (['relu', 'gelu'] as const).flatMap((activation) => [false, true].map((dropout) => ({ precision, mode, activation, dropout }))),
  ),
);
const familyKey = (f: Family) => `${f.precision === 'fp32' ? 'fp32' : 'half'}.${f.mode}.${f.activation}.${f.dropout ? 'drop' : 'nodrop'}`;

interface Sample {
  features: Record<string, number>;
  measured: MicroSamples;
  /** The quantities this model and segment size have (features.ts `quantitiesOf`). */
  quantities: Quantity[];
  cfg: unknown;
}
const dumped: unknown[] = [];

async function measureRandom(family: Family, arch: Architecture): Promise<Sample> {
  const h = pick([1, 2, 4]);
  const d = h * pick([2, 4, 6, 8]);
  const B = between(1, 6);
  const Ts = between(2, 10);
  const Tt = between(2, 10);
  const layers = () => between(1, 4);
  const cfg = parseModelConfig({
    ...(arch !== 'decoder-only' ? { srcVocabSize: between(4, 20) } : {}),
    tgtVocabSize: between(4, 20),
    dModel: d,
    nHeads: h,
    dFF: between(3, 40),
    nEncoderLayers: arch === 'decoder-only' ? 0 : layers(),
    nDecoderLayers: arch === 'encoder-only' ? 0 : layers(),
    dropout: family.dropout ? 0.1 : 0,
    activation: family.activation,
    normFirst: random() < 0.5,
    maxLen: between(10, 16),
    positional: pick(['sinusoidal', 'learned'] as const),
  });
  const checkpointing: Checkpointing = family.mode === 'plain'
    ? 'none'
    : pick(family.precision === 'fp32' && family.mode === 'seg' ? ['layers', 1, 2, 3] : ['none', 'layers', 2, 3]);
  const offload = family.mode === 'off' ? 'activations' : 'none';
  const storage = family.precision;
  const row = (t: number, v: number) => Array.from({ length: B }, () => Array.from({ length: t }, (_, j) => 3 + (j % (v - 3))));
  const batch: Batch =
    arch === 'encoder-decoder'
      ? { src: row(Ts, cfg.srcVocabSize!), tgtIn: row(Tt, cfg.tgtVocabSize), tgtOut: row(Tt, cfg.tgtVocabSize) }
      : arch === 'decoder-only'
        ? { tgtIn: row(Tt, cfg.tgtVocabSize), tgtOut: row(Tt, cfg.tgtVocabSize) }
        : { src: row(Ts, cfg.srcVocabSize!), tgtOut: row(Ts, cfg.tgtVocabSize) };
  const model = TransformerModel.initialise(cfg, 1);
  try {
    const measured = await measureMicroBatch(model, batch, { checkpointing, precision: family.precision, offload });
    const segment = segmentSize(checkpointing, storage, offload);
    return {
      features: microFeatures(cfg, microShape(batch), segment, offload === 'activations'),
      measured,
      quantities: quantitiesOf(cfg, segment, offload === 'activations'),
      cfg: { ...cfg, checkpointing, offload, B, Ts, Tt },
    };
  } finally {
    model.dispose();
  }
}

const value = (m: MicroSamples, q: Quantity): number => {
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
    case 'decForward':
      return m.decoderStack.forward;
    case 'decBackward':
      return m.decoderStack.backward;
    case 'keptBackward':
      return m.keptBackward;
    case 'encKeptBackward':
      return m.encoderKeptBackward;
  }
};

const quarter = (x: number) => Math.round(x * 4) / 4;
type Fit = Partial<Record<Quantity, Record<string, number>>>;

/** The changes a family makes to the base counts (fp32, ReLU, no dropout), each fitted on its own columns. */
const CHANGES = ['gelu', 'dropout', 'half'] as const;
type Change = (typeof CHANGES)[number];
const changesOf = (f: Family): Record<Change, boolean> => ({ gelu: f.activation === 'gelu', dropout: f.dropout, half: f.precision !== 'fp32' });

const table: Record<string, Record<string, Fit>> = {};
let worst = 0;
for (const arch of ARCHS) {
  if (flags.arch && flags.arch !== arch) continue;
  const entry: Record<string, Fit> = {};
  for (const mode of ['plain', 'seg', 'off'] as const) {
    const families = FAMILIES.filter((f) => f.mode === mode && (!flags.family || familyKey(f).startsWith(flags.family)));
    if (families.length === 0) continue;
    const keys = featureKeys(arch, mode);
    const changes = CHANGES.filter((c) => families.some((f) => changesOf(f)[c]));
    // One least-squares problem over every family of this mode: base counts plus, for each
    // change, the counts it adds when on. The model is additive (checked below, per family).
    const samples: { family: Family; sample: Sample }[] = [];
    for (const family of families) {
      const count = Math.ceil(keys.length * 1.5) + 8;
      for (let i = 0; i < count; i++) {
        const sample = await measureRandom(family, arch);
        samples.push({ family, sample });
        dumped.push({ family: familyKey(family), arch, ...sample });
      }
      const missed = samples.filter(({ family: f, sample: s }) => f === family && Math.max(s.measured.forward, ...s.quantities.map((q) => value(s.measured, q))) < s.measured.peak);
      if (missed.length > 0) console.log(`  ${familyKey(family)} ${arch}: ${missed.length} samples peak elsewhere, e.g. ${JSON.stringify({ peak: missed[0]!.sample.measured.peak, trace: missed[0]!.sample.measured.trace })}`);
    }
    const row = ({ family, sample }: { family: Family; sample: Sample }) => {
      const x = keys.map((k) => sample.features[k] ?? 0);
      const on = changesOf(family);
      return [...x, ...changes.flatMap((c) => (on[c] ? x : x.map(() => 0)))];
    };
    for (const q of quantitiesOfArchitecture(arch, mode)) {
      // Each quantity is fitted on the samples that have it (a stack may recompute nothing).
      const having = samples.filter(({ sample }) => sample.quantities.includes(q));
      if (having.length === 0) continue;
      const X = having.map(row);
      const columns = independentColumns(X);
      const y = having.map(({ sample }) => value(sample.measured, q) / 4);
      const c = leastSquares(X, y, columns).map(quarter);
      const part = (i: number) => Object.fromEntries(keys.map((k, j) => [k, c[i * keys.length + j]!] as const).filter(([, v]) => v !== 0));
      (entry[mode] ??= {})[q] = part(0);
      changes.forEach((change, i) => ((entry[`${mode}+${change}`] ??= {})[q] = part(i + 1)));
      for (const family of families) {
        let residual = 0;
        let relative = 0;
        having.forEach((s, i) => {
          if (s.family !== family) return;
          const predicted = X[i]!.reduce((a, x, j) => a + x * c[j]!, 0);
          residual = Math.max(residual, Math.abs(predicted - y[i]!));
          relative = Math.max(relative, Math.abs(predicted - y[i]!) / Math.max(1, y[i]!));
        });
        worst = Math.max(worst, relative);
        console.log(`${familyKey(family)} ${arch} ${q}: max residual ${residual.toFixed(2)} elements (${(100 * relative).toFixed(4)}%)`);
      }
    }
  }
  table[arch] = entry;
}
if (flags.dump) writeFileSync(flags.dump, JSON.stringify(dumped));
if (flags.out) writeFileSync(flags.out, JSON.stringify(table, null, 1));
// Whole counts reproduce every measurement to the byte; anything else means a feature is missing.
const exact = worst < 1e-6;
if (!exact) console.error('the counts do not reproduce every measurement: a feature is missing (see features.ts)');
if (flags.write && (exact || flags.force)) {
  writeFileSync('src/engine/memory/coefficients.ts', coefficientsModule(table, flags.backend!));
  console.log('wrote src/engine/memory/coefficients.ts');
}
console.log(`worst residual ${(100 * worst).toFixed(4)}%; tensors left ${tf.memory().numTensors}`);
if (!exact) process.exitCode = 1;

/** `counts` of a layer stack as a sum over its per-layer features, e.g. "44·N·dModel + 5·N·dFF + …". */
function layerSum(counts: Counts | undefined, stack: 'enc' | 'dec', mult: string): string {
  const names: Record<string, string> = {
    Nd: 'N·dModel', NF: 'N·dFF', A: 'rows·heads·T²', N: 'N', b: 'mask', X: 'rows·heads·T·Ts', M: 'rows·Ts·dModel', c: 'rows·Ts',
    d2: 'dModel²', dF: 'dModel·dFF', d: 'dModel', F: 'dFF', '1': '1',
  };
  const terms = Object.entries(counts ?? {})
    .filter(([k]) => k.startsWith(`${stack}.${mult}.`))
    .map(([k, v]) => `${v}·${names[k.split('.')[2]!]}`);
  return terms.length > 0 ? terms.join(' + ').replace(/·1\b/g, '') : '0';
}

function coefficientsModule(table: Record<string, Record<string, Fit>>, backend: string): string {
  const encOnly = table['encoder-only'];
  const encDec = table['encoder-decoder'];
  const line = (what: string, counts: Counts | undefined, stack: 'enc' | 'dec', mult = 'L') => ` *   ${what}: ${layerSum(counts, stack, mult)}`;
  const summary = [
    ' * Headline counts, float32 elements per layer (N = rows·T tokens; "mask" is the attention',
    ' * bias, rows·T or rows·T² when causal), fp32, ReLU, no dropout, no recompute:',
    line('an encoder layer keeps for the backward pass', encOnly?.plain?.kept, 'enc'),
    line('and holds at the end of the backward pass, its gradients included', encOnly?.plain?.end, 'enc'),
    line('a decoder layer keeps', encDec?.plain?.kept, 'dec'),
    line('and holds at the end of the backward pass', encDec?.plain?.end, 'dec'),
    line('GELU adds to what an encoder layer keeps', encOnly?.['plain+gelu']?.kept, 'enc'),
    line('and to the end of the backward pass', encOnly?.['plain+gelu']?.end, 'enc'),
    line('dropout adds (masks; bool masks count a quarter) to what it keeps', encOnly?.['plain+dropout']?.kept, 'enc'),
    line('with recompute, the first segment\'s layers at the end of their backward pass', encOnly?.seg?.encBackward, 'enc', 'n'),
    line('and half precision adds to those (half-rounded matmul operands)', encOnly?.['seg+half']?.encBackward, 'enc', 'n'),
    line('each recomputed segment keeps its boundary (fp32; halved when packed at half size)', encOnly?.seg?.kept, 'enc', 'S'),
  ];
  const counts = (c: Counts) => `{ ${Object.entries(c).map(([k, v]) => `'${k}': ${v}`).join(', ')} }`;
  const body = [
    '{',
    ...Object.entries(table).flatMap(([arch, entry]) => [
      `  '${arch}': {`,
      ...Object.entries(entry).flatMap(([part, fit]) => [
        `    '${part}': {`,
        ...Object.entries(fit).map(([q, c]) => `      ${q}: ${counts(c)},`),
        '    },',
      ]),
      '  },',
    ]),
    '}',
  ].join('\n');
  return `/*
 * GENERATED by tools/memory/calibrate.ts (${backend} backend, TF.js 4.22): do not edit by hand.
 * Rerun \`npx tsx tools/memory/calibrate.ts --write\` after changing the model, the
 * checkpointing or the precision code; it fails loudly (residuals) when the counts stop fitting.
 *
 * How many float32 elements of each feature (features.ts) a micro-batch's memory figures
 * (features.ts, QUANTITIES) hold, per architecture: \`plain\` (no recompute) and \`seg\`
 * (recomputed segments) for fp32, ReLU, no dropout, and what \`+gelu\`, \`+dropout\` and
 * \`+half\` (fp16 / bf16: half-rounded matmul operands, boundaries packed at half size) add.
 * The calibration measures random tiny models with tf.profile and fits these counts by least
 * squares; they come out whole (quarters for bool masks, halves for packed boundaries) and
 * reproduce every measurement to the byte, so they hold at any size.
 *
${summary.join('\n')}
 */
import type { Architecture } from '../config';
import type { CountTable } from './features';

export const COUNTS: Readonly<Record<Architecture, CountTable>> = ${body};
`;
}
