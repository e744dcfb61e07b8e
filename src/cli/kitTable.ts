import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdapterReport } from '../engine/adapter';
import { adapterLine } from '../engine/adapter';
import type { BenchResult } from '../engine/bench/bench';
import type { VariantResult } from '../engine/bench/suites';

/**
 * The gpu kit's table (`run.sh table`): every shipped config benchmarked on WebGPU at fp32, fp16
 * and bf16, the first step with and without the compile-only warm-up, and the memory suite.
 * Each measurement is its own process of the bundled command line (lab.mjs beside this file),
 * so that no pipeline compiled by one is in the cache of the next.
 *
 *   run.sh table [--config FILE]... [--precision P]... [--steps N] [--memory FILE | --no-memory]
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const lab = path.join(here, 'lab.mjs');
const PRECISIONS = ['fp32', 'fp16', 'bf16'] as const;

interface Options {
  configs: string[];
  precisions: string[];
  steps: number;
  memory: string | null;
}

function parse(argv: string[]): Options {
  const configs: string[] = [];
  const precisions: string[] = [];
  let steps = 5;
  let memory: string | null = path.join(here, 'configs', 'bench-memory.json');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--config') configs.push(value());
    else if (a === '--precision') precisions.push(value());
    else if (a === '--steps') steps = Number(value());
    else if (a === '--memory') memory = value();
    else if (a === '--no-memory') memory = null;
    else throw new Error(`unknown option ${a}; expected --config FILE, --precision fp32|fp16|bf16, --steps N, --memory FILE or --no-memory`);
  }
  for (const p of precisions) if (!(PRECISIONS as readonly string[]).includes(p)) throw new Error(`--precision must be one of ${PRECISIONS.join(', ')} (got ${p})`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error('--steps must be a whole number ≥ 1');
  if (configs.length === 0) {
    const dir = path.join(here, 'configs');
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.json') && !['bench-memory.json', 'diet.json'].includes(f)) configs.push(path.join(dir, f));
  }
  return { configs, precisions: precisions.length ? precisions : [...PRECISIONS], steps, memory };
}

/** One `bench --json` in a process of its own; its progress goes to our stderr. */
function bench(args: string[]): unknown {
  const out = spawnSync(process.execPath, [lab, 'bench', '--backend', 'webgpu', '--json', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (out.status !== 0) throw new Error(`bench ${args.join(' ')} failed (exit ${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!);
}

const mib = (b: number | undefined) => (b === undefined ? '-' : `${(b / 2 ** 20).toFixed(1)} MiB`);
const ms = (x: number | null | undefined) => (x == null ? '-' : `${x.toFixed(0)} ms`);
const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

function main(): void {
  const opts = parse(process.argv.slice(2));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-kit-'));
  let adapter: AdapterReport | undefined;
  try {
    const widths = [22, 5, 10, 10, 7, 13, 12, 12, 20, 12];
    const lines = [row(['config', 'prec', 'tokens/s', 'step', 'MFU', 'matmul', 'GPU in use', 'GPU pool', 'first step (warm-up)', 'first cold'], widths)];
    for (const config of opts.configs) {
      const raw = JSON.parse(readFileSync(config, 'utf8')) as { train?: Record<string, unknown> };
      for (const precision of opts.precisions) {
        const file = path.join(tmp, `${path.basename(config, '.json')}-${precision}.json`);
        writeFileSync(file, JSON.stringify({ ...raw, train: { ...raw.train, precision } }));
        process.stderr.write(`kit: ${path.basename(config)} ${precision}\n`);
        const r = bench(['--config', file, '--steps', String(opts.steps), '--warm']) as BenchResult & { adapter?: AdapterReport };
        adapter ??= r.adapter;
        const cold = precision === opts.precisions[0] ? (bench(['--config', file, '--steps', '1', '--cold']) as BenchResult) : null;
        lines.push(row([
          path.basename(config, '.json'), precision, r.tokensPerSec.toFixed(0), ms(r.stepMs), `${(100 * r.mfu).toFixed(1)}%`,
          `${r.matmulGflops.toFixed(1)} GF/s`, mib(r.gpuMemory?.inUseBytes), mib(r.gpuMemory?.allocatedBytes),
          `${ms(r.firstStepMs)} (+${ms(r.warmUpMs)})`, ms(cold?.firstStepMs),
        ], widths));
      }
    }
    console.log(`adapter: ${adapter ? adapterLine(adapter) : 'unknown'}`);
    console.log(lines.join('\n'));
    if (opts.memory) {
      process.stderr.write(`kit: memory suite on ${path.basename(opts.memory)}\n`);
      const rows = bench(['--config', opts.memory, '--suite', 'memory', '--steps', '1']) as VariantResult[];
      const w = [32, 12, 8, 10, 8, 12];
      console.log(`\nmemory suite (${path.basename(opts.memory)}; peak = the engine's logical high-water mark of one step)`);
      console.log(row(['variant', 'peak', 'memory', 'step', 'time', 'GPU pool'], w));
      for (const v of rows) {
        console.log(row([v.label, mib(v.result.peakBytes), `${v.memoryRatio.toFixed(2)}×`, ms(v.result.stepMs), `${v.timeRatio.toFixed(2)}×`, mib(v.result.gpuMemory?.allocatedBytes)], w));
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
