import { benchmark, type BenchResult } from '../engine/bench/bench';
import { parseRunConfig } from '../engine/runConfig';
import { readJson } from './io';

export interface BenchFlags {
  config: string;
  steps?: number;
  json: boolean;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function benchSummary(r: BenchResult): string {
  return [
    `backend ${r.backend}, ${r.parameters.toLocaleString('en')} parameters, ${r.steps} timed steps`,
    `step time     ${r.stepMs.toFixed(1)} ms (median)`,
    `tokens/s      ${r.tokensPerSec.toFixed(0)}`,
    `peak memory   ${mib(r.peakBytes)}`,
    `matmul        ${r.matmulGflops.toFixed(2)} GFLOP/s (512×512, same backend)`,
    `model FLOPs   ${r.modelGflopsPerStep.toFixed(3)} GFLOP/step, MFU ${(100 * r.mfu).toFixed(1)}%`,
  ].join('\n');
}

export async function bench(flags: BenchFlags, print: (line: string) => void, progress: (line: string) => void): Promise<void> {
  const run = parseRunConfig(readJson(flags.config, '--config'));
  const steps = flags.steps ?? 10;
  const result = await benchmark(run, { steps, onStep: (done, total) => progress(`bench step ${done}/${total}`) });
  print(flags.json ? JSON.stringify(result) : benchSummary(result));
}
