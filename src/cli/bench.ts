import { benchmark, type BenchResult } from '../engine/bench/bench';
import { dietSuite, memorySuite, type DietResult, type VariantResult } from '../engine/bench/suites';
import { parseRunConfig } from '../engine/runConfig';
import { ConfigError } from '../engine/validation';
import { readJson } from './io';
import { webgpuAdapter } from './nodeBackend';
import { loadTaskText } from './text';
import { vsTorch, vsTorchTable } from './vsTorch';

export interface BenchFlags {
  config: string;
  steps?: number;
  json: boolean;
  suite?: string;
  /** Time PyTorch's step beside ours, interleaved (src/cli/vsTorch.ts). */
  vsTorch?: boolean;
  torchThreads?: number;
  /** Force WebGPU's compile-only warm-up off (cold) or on (warm); by default the trainer decides. */
  cold?: boolean;
  warm?: boolean;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function benchSummary(r: BenchResult): string {
  const gpu = r.gpuMemory ? [`GPU memory    ${mib(r.gpuMemory.inUseBytes)} in use, ${mib(r.gpuMemory.allocatedBytes)} allocated by the pool (its high-water mark)`] : [];
  const warm = r.warmUpMs === null ? '' : ` after a ${r.warmUpMs.toFixed(0)} ms compile-only warm-up`;
  return [
    `backend ${r.backend}, ${r.parameters.toLocaleString('en')} parameters, ${r.steps} timed steps`,
    `step time     ${r.stepMs.toFixed(1)} ms (median)`,
    `tokens/s      ${r.tokensPerSec.toFixed(0)}`,
    `peak memory   ${mib(r.peakBytes)} on the ${r.backend === 'webgpu' ? 'GPU' : 'backend'}${r.hostBytes === undefined ? '' : `, ${mib(r.hostBytes)} offloaded to host memory`}`,
    `matmul        ${r.matmulGflops.toFixed(2)} GFLOP/s (512×512, same backend, probed between the timed steps)`,
    `model FLOPs   ${r.modelGflopsPerStep.toFixed(3)} GFLOP/step, MFU ${(100 * r.mfu).toFixed(1)}%`,
    ...gpu,
    `first step    ${r.firstStepMs.toFixed(0)} ms${warm}`,
  ].join('\n');
}

function memoryTable(rows: VariantResult[]): string {
  const lines = rows.map((r) =>
    [
      r.label.padEnd(32),
      mib(r.result.peakBytes).padStart(11),
      `${r.memoryRatio.toFixed(2)}×`.padStart(7),
      `${r.result.stepMs.toFixed(0)} ms`.padStart(10),
      `${r.timeRatio.toFixed(2)}×`.padStart(7),
      r.target ? `${r.met ? 'meets' : 'MISSES'} ${r.target}` : '',
    ].join('  '),
  );
  return [`${'variant'.padEnd(32)}  ${'peak'.padStart(11)}  ${'memory'.padStart(7)}  ${'step'.padStart(10)}  ${'time'.padStart(7)}  target`, ...lines].join('\n');
}

function dietSummary(r: DietResult): string {
  return [
    `baseline (fp32, Adam, whole batch, no recompute): peak ${mib(r.baseline.peakBytes)}, exact match ${(100 * r.baseline.exactMatch).toFixed(1)}%, step ${r.baseline.stepMs.toFixed(0)} ms`,
    `memory diet (k=16, "layers", fp16, SGD+Nesterov, cosine): peak ${mib(r.diet.peakBytes)}, exact match ${(100 * r.diet.exactMatch).toFixed(1)}%, step ${r.diet.stepMs.toFixed(0)} ms`,
    `peak ratio ${r.ratio.toFixed(1)}× less (target ≥ 20×), accuracy ${(100 * r.accuracyShare).toFixed(1)}% of the baseline's (target ≥ 95%): ${r.met ? 'met' : 'NOT met'}`,
  ].join('\n');
}

export async function bench(flags: BenchFlags, print: (line: string) => void, progress: (line: string) => void): Promise<void> {
  const raw = readJson(flags.config, '--config');
  loadTaskText(raw);
  const run = parseRunConfig(raw);
  const steps = flags.steps ?? (flags.suite ? 3 : 10);
  const show = (text: string, value: unknown) => print(flags.json ? JSON.stringify(value) : text);
  if (flags.vsTorch) {
    if (flags.suite !== undefined) throw new ConfigError([{ path: '--vs-torch', message: 'cannot be combined with --suite' }]);
    const result = await vsTorch(run, { rounds: steps, torchThreads: flags.torchThreads, onRound: (comparison, where) => progress(`bench ${comparison}: ${where}`) });
    show(vsTorchTable(result, flags.config), result);
  } else if (flags.suite === undefined) {
    if (flags.cold && flags.warm) throw new ConfigError([{ path: '--cold', message: 'cannot be combined with --warm' }]);
    const warmUp = flags.cold ? false : flags.warm ? true : undefined;
    const result = await benchmark(run, { steps, warmUp, onStep: (done, total) => progress(`bench step ${done}/${total}`) });
    const adapter = webgpuAdapter();
    show(benchSummary(result), adapter && result.backend === 'webgpu' ? { ...result, adapter } : result);
  } else if (flags.suite === 'memory') {
    const rows = await memorySuite(run, steps, (label) => progress(`bench ${label}`));
    show(memoryTable(rows), rows);
  } else if (flags.suite === 'diet') {
    const result = await dietSuite(run, (which, step, total) => {
      if (step % 25 === 0 || step === total) progress(`bench ${which} step ${step}/${total}`);
    });
    show(dietSummary(result), result);
  } else {
    throw new ConfigError([{ path: '--suite', message: `must be memory or diet (got ${JSON.stringify(flags.suite)})` }]);
  }
}
