/**
 * How much faster the engine trains than it did at an earlier commit, measured in one process:
 * steps of the old engine and of this one alternate on the same wasm backend, so both see the
 * same machine load, and the medians are compared.
 *
 *   npx tsx tools/bench/against-commit.ts --commit REV --config RUN.json [--steps N] [--json]
 *
 * The old engine is checked out into a temporary git worktree that shares this checkout's
 * node_modules, so both import the one TF.js (and its one kernel registry). Before each step
 * the kernels each engine registered on the backend are put back in place, so the old engine
 * runs on the stock kernels it had and this one on its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { startBackend } from '../../src/cli/nodeBackend';

const { values: flags } = parseArgs({
  options: { commit: { type: 'string' }, config: { type: 'string' }, steps: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
if (!flags.commit || !flags.config) {
  console.error('usage: against-commit.ts --commit REV --config RUN.json [--steps N] [--json]');
  process.exit(2);
}

interface StepTrainer {
  trainStep(): Promise<{ stepMs: number }>;
  dispose(): void;
}
type TrainerModule = { Trainer: { create(run: unknown): StepTrainer } };
type RunConfigModule = { parseRunConfig(raw: unknown): unknown };

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const WASM = 'wasm';
const registered = () => tf.getKernelsForBackend(WASM);
const snapshot = () => new Map(registered().map((k) => [k.kernelName, k]));

/** Makes `kernels` the registered wasm kernels (the ones named in both sets). */
function restore(kernels: Map<string, KernelConfig>): void {
  for (const [name, config] of kernels) {
    if (tf.getKernel(name, WASM) === config) continue;
    tf.unregisterKernel(name, WASM);
    tf.registerKernel(config);
  }
}

async function load<T>(dir: string, file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(dir, file)).href)) as T;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const worktree = mkdtempSync(path.join(tmpdir(), 'lab-against-'));
execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', '--quiet', worktree, flags.commit]);
try {
  symlinkSync(path.join(root, 'node_modules'), path.join(worktree, 'node_modules'));
  const raw = JSON.parse(readFileSync(flags.config, 'utf8'));

  // The old engine first, on the stock backend; its own kernels (if any) are part of its set.
  const oldBackend = await load<{ startBackend(name: string): Promise<void> }>(worktree, 'src/cli/nodeBackend.ts');
  await oldBackend.startBackend(WASM);
  const oldRun = (await load<RunConfigModule>(worktree, 'src/engine/runConfig.ts')).parseRunConfig(raw);
  const oldTrainer = (await load<TrainerModule>(worktree, 'src/engine/train/trainer.ts')).Trainer.create(oldRun);
  await oldTrainer.trainStep(); // registers whatever the old engine registers lazily
  const oldKernels = snapshot();
  // The engine's own kernels (Lab…) register only where their name is free: the new engine
  // must find the names free, or it would run the old engine's kernels.
  for (const k of registered()) if (k.kernelName.startsWith('Lab')) tf.unregisterKernel(k.kernelName, WASM);

  await startBackend(WASM);
  const newRun = (await load<RunConfigModule>(root, 'src/engine/runConfig.ts')).parseRunConfig(raw);
  const newTrainer = (await load<TrainerModule>(root, 'src/engine/train/trainer.ts')).Trainer.create(newRun);
  await newTrainer.trainStep();
  const newKernels = snapshot();

  const steps = Number(flags.steps);
  const times = { old: [] as number[], new: [] as number[] };
  for (let i = 0; i < steps + 1; i++) {
    restore(oldKernels);
    const o = await oldTrainer.trainStep();
    restore(newKernels);
    const n = await newTrainer.trainStep();
    if (i === 0) continue; // one more warm-up each
    times.old.push(o.stepMs);
    times.new.push(n.stepMs);
    if (!flags.json) process.stderr.write(`step ${i}/${steps}\r`);
  }
  oldTrainer.dispose();
  newTrainer.dispose();
  const result = { commit: flags.commit, config: flags.config, steps, oldStepMs: median(times.old), newStepMs: median(times.new), speedup: median(times.old) / median(times.new) };
  console.log(
    flags.json
      ? JSON.stringify(result)
      : `${flags.config}: ${result.oldStepMs.toFixed(1)} ms a step at ${flags.commit}, ${result.newStepMs.toFixed(1)} ms now (medians of ${steps}, interleaved): ${result.speedup.toFixed(2)}× faster`,
  );
} finally {
  execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', worktree]);
  rmSync(worktree, { recursive: true, force: true });
}
