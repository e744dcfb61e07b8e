import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { Precision } from '../engine/precision/policy';
import { ConfigError } from '../engine/validation';
import { bench } from './bench';
import { forward } from './forward';
import { handover } from './handover';
import { adapterLine } from '../engine/adapter';
import { POOL_WORKERS } from '../engine/internals/wasmThreads';
import { parseBackend, startBackend, webgpuAdapter, type NodeBackend } from './nodeBackend';
import { sample } from './sample';
import { train } from './train';

const USAGE = `usage:
  npm run --silent cli -- train   --config RUN.json [--init W.json] [--batch B.json] [--steps N]
                                  [--backend cpu|wasm|webgpu] [--threads N|auto] [--metrics M.jsonl] [--out W.json]
  npm run --silent cli -- forward --weights W.json --batch B.json --out OUT.json
                                  [--grads] [--precision fp32|fp16|bf16] [--backend cpu|wasm|webgpu] [--threads N|auto]
  npm run --silent cli -- bench   --config RUN.json [--steps N] [--backend cpu|wasm|webgpu] [--threads N|auto] [--json]
                                  [--suite memory|diet] [--vs-torch [--torch-threads N]] [--cold | --warm]
  npm run --silent cli -- handover --weights W.json --out-dir DIR [--config RUN.json] [--nproc N]
  npm run --silent cli -- sample  --weights W.json [--prompt TEXT] [--tokens N] [--temperature T]
                                  [--top-k K] [--seed S] [--backend cpu|wasm|webgpu] [--threads N|auto]

--threads: XNNPACK's threads on the wasm backend, 1 by default; auto takes every logical core (at most ${POOL_WORKERS}).`;

const OPTIONS = {
  config: { type: 'string' },
  init: { type: 'string' },
  batch: { type: 'string' },
  steps: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  metrics: { type: 'string' },
  out: { type: 'string' },
  weights: { type: 'string' },
  grads: { type: 'boolean', default: false },
  precision: { type: 'string', default: 'fp32' },
  json: { type: 'boolean', default: false },
  suite: { type: 'string' },
  'vs-torch': { type: 'boolean', default: false },
  'torch-threads': { type: 'string' },
  'out-dir': { type: 'string' },
  nproc: { type: 'string' },
  prompt: { type: 'string', default: '' },
  tokens: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  seed: { type: 'string' },
  cold: { type: 'boolean', default: false },
  warm: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const ALLOWED: Record<string, (keyof typeof OPTIONS)[]> = {
  train: ['config', 'init', 'batch', 'steps', 'backend', 'threads', 'metrics', 'out'],
  forward: ['weights', 'batch', 'out', 'grads', 'precision', 'backend', 'threads'],
  bench: ['config', 'steps', 'backend', 'threads', 'json', 'suite', 'vs-torch', 'torch-threads', 'cold', 'warm'],
  handover: ['weights', 'out-dir', 'config', 'nproc'],
  sample: ['weights', 'prompt', 'tokens', 'temperature', 'top-k', 'seed', 'backend', 'threads'],
};

const REQUIRED: Record<string, (keyof typeof OPTIONS)[]> = {
  train: ['config'],
  forward: ['weights', 'batch', 'out'],
  bench: ['config'],
  handover: ['weights', 'out-dir'],
  sample: ['weights'],
};

function flagError(flag: string, message: string): ConfigError {
  return new ConfigError([{ path: `--${flag}`, message }]);
}

function parseSteps(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw flagError('steps', `must be a whole number ≥ 0 (got ${JSON.stringify(value)})`);
  return n;
}

/** A whole number in [min, max], or undefined when the flag is absent. */
function parseWhole(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw flagError(flag, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

function parseTemperature(value: string | undefined): number {
  if (value === undefined) return 1;
  const t = Number(value);
  if (value.trim() === '' || !Number.isFinite(t) || t < 0 || t > 100) throw flagError('temperature', `must be a number from 0 (greedy) to 100 (got ${JSON.stringify(value)})`);
  return t;
}

function parseCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) throw flagError(flag, `must be a whole number ≥ 1 (got ${JSON.stringify(value)})`);
  return n;
}

/** XNNPACK's thread count for `--threads`, or undefined when the flag is absent. */
function parseThreads(value: string | undefined, backend: NodeBackend): number | undefined {
  if (value === undefined) return undefined;
  if (backend !== 'wasm') throw flagError('threads', `sets the wasm backend's XNNPACK threads; --backend is ${backend}`);
  if (value === 'auto') return Math.min(POOL_WORKERS, availableParallelism());
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > POOL_WORKERS) throw flagError('threads', `must be a whole number from 1 to ${POOL_WORKERS}, or auto (got ${JSON.stringify(value)})`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (!(command in ALLOWED)) throw new ConfigError([{ path: 'command', message: `unknown command ${JSON.stringify(command)}; expected train, forward, bench, handover or sample` }]);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (e) {
    throw new ConfigError([{ path: command, message: (e as Error).message }]);
  }
  const v = parsed.values;
  for (const key of Object.keys(v) as (keyof typeof OPTIONS)[]) {
    const fallback = (OPTIONS[key] as { default?: unknown }).default;
    const isDefault = fallback !== undefined && v[key] === fallback;
    if (!ALLOWED[command]!.includes(key) && !isDefault && key !== 'help') throw flagError(key, `is not an option of ${command}`);
  }
  for (const key of REQUIRED[command]!) if (v[key] === undefined) throw flagError(key, `is required by ${command}`);
  if (!['fp32', 'fp16', 'bf16'].includes(v.precision)) throw flagError('precision', `must be one of fp32, fp16, bf16 (got ${JSON.stringify(v.precision)})`);
  const steps = parseSteps(v.steps);
  const torchThreads = parseCount('torch-threads', v['torch-threads']);
  if (torchThreads !== undefined && !v['vs-torch']) throw flagError('torch-threads', 'sets PyTorch\'s threads for --vs-torch and needs it');
  if (command === 'handover') {
    handover({ weights: v.weights!, outDir: v['out-dir']!, config: v.config, nproc: parseCount('nproc', v.nproc) ?? 2 }, (line) => process.stdout.write(line + '\n'));
    return;
  }
  const sampling = command === 'sample'
    ? {
        tokens: parseWhole('tokens', v.tokens, 1, 100_000) ?? 200,
        temperature: parseTemperature(v.temperature),
        topK: parseWhole('top-k', v['top-k'], 1) ?? null,
        seed: parseWhole('seed', v.seed, 0, 2 ** 32 - 1) ?? 0,
      }
    : undefined;
  const print = (line: string) => process.stdout.write(line + '\n');
  const progress = (line: string) => process.stderr.write(line + '\n');
  const backend = parseBackend(v.backend);
  const threads = parseThreads(v.threads, backend);
  await startBackend(backend, threads);
  const adapter = webgpuAdapter();
  if (backend === 'webgpu' && adapter) progress(`webgpu: ${adapterLine(adapter)} (${adapter.source})`);
  if (threads !== undefined) progress(`wasm: ${threads} XNNPACK thread${threads === 1 ? '' : 's'}`);
  if (sampling) {
    await sample({ weights: v.weights!, prompt: v.prompt, options: sampling }, (text) => process.stdout.write(text));
  } else if (command === 'train') {
    await train({ config: v.config!, init: v.init, batch: v.batch, steps, metrics: v.metrics, out: v.out }, print, progress);
  } else if (command === 'forward') {
    await forward({ weights: v.weights!, batch: v.batch!, out: v.out!, grads: v.grads, precision: v.precision as Precision });
  } else {
    await bench({ config: v.config!, steps, json: v.json, suite: v.suite, vsTorch: v['vs-torch'], torchThreads, cold: v.cold, warm: v.warm }, print, progress);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  // Bad input is the user's to fix: show the message, not a stack trace.
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${message.replace(/\n/g, '\nerror: ')}\n`);
  process.exitCode = e instanceof ConfigError ? 2 : 1;
});
