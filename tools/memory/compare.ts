/**
 * Predicted against measured memory of one training step for every shipped config and some
 * variants (the test in tests/engine/memory/predict.test.ts runs the subset).
 *
 *   npx tsx tools/memory/compare.ts [wasm|cpu] [CONFIG-NAME-FILTER]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { startBackend, type NodeBackend } from '../../src/cli/nodeBackend';
import { parseRunConfig } from '../../src/engine/runConfig';
import { longestBatch, measureTrainingStep } from '../../src/engine/bench/measure';
import { predictMemory } from '../../src/engine/memory/predict';

const [backend = 'wasm', only] = process.argv.slice(2);
await startBackend(backend as NodeBackend);
const variants: [string, Record<string, unknown>][] = [
  ['', {}],
  ['fp16', { precision: 'fp16' }],
  ['bf16', { precision: 'bf16' }],
  ['layers', { checkpointing: 'layers' }],
  ['k=4', { gradAccumSteps: 4 }],
  ['fp16+layers+k4', { precision: 'fp16', checkpointing: 'layers', gradAccumSteps: 4 }],
  ['seg2', { checkpointing: 2 }],
];
const MiB = 2 ** 20;
for (const file of readdirSync('configs').filter((f) => f.endsWith('.json')).sort()) {
  if (only && !file.includes(only)) continue;
  const raw = JSON.parse(readFileSync(`configs/${file}`, 'utf8'));
  for (const [name, train] of variants) {
    const run = parseRunConfig({ ...raw, train: { ...raw.train, ...train } });
    const predicted = predictMemory(run);
    const m = await measureTrainingStep(run, longestBatch(run, run.train.batchSize));
    const r = (a: number, b: number) => (b === 0 ? (a === 0 ? '1' : 'inf') : (a / b).toFixed(4));
    console.log(
      `${file.padEnd(18)} ${name.padEnd(15)} peak pred ${(predicted.peak / MiB).toFixed(2)} MiB, measured ${(m.peak / MiB).toFixed(2)} MiB, ratio ${r(predicted.peak, m.peak)}; ` +
        `metered/profile ${r(m.metered, m.peak)}; saved ${r(predicted.savedActivations, m.memory.savedActivations)}; half ${r(predicted.halfCopies, m.memory.halfCopies)}; opt ${r(predicted.optimizerState, m.memory.optimizerState)}`,
    );
  }
}
