import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { matmulProbe } from '../engine/bench/bench';
import { longestBatch } from '../engine/bench/measure';
import { trainingFlops } from '../engine/bench/flops';
import { interleave, middleHalf, roundRatios, STEADY_SPREAD, steadiness, type Interleaved, type StepFn } from '../engine/bench/interleave';
import { architecture } from '../engine/config';
import { parameterCount } from '../engine/params';
import { withTrain } from '../engine/presets';
import type { RunConfig } from '../engine/runConfig';
import { Trainer } from '../engine/train/trainer';
import { ConfigError } from '../engine/validation';
import { toBatch } from '../tasks/batches';
import { createDataset } from '../tasks/dataset';
import { PAD, type Batch } from '../tasks/types';

/** Debian's interpreter, where python3-torch installs (the fixture scripts use the same). */
const PYTHON = '/usr/bin/python3';
const WORKER = fileURLToPath(new URL('../../tools/bench/torch_step.py', import.meta.url));
/** Untimed rounds before every comparison: at least this many, and at least this long. */
const WARMUP = { rounds: 2, minMs: 2000 };

export interface VsTorchOptions {
  /** Timed rounds of each interleaved comparison (after WARMUP's untimed ones). */
  rounds: number;
  /** PyTorch's intra-op threads; defaults to the thread count of our backend. */
  torchThreads?: number;
  /** Called after every round of every comparison, with e.g. `round 3/10`. */
  onRound?: (comparison: string, where: string) => void;
}

interface Target {
  name: string;
  value: number;
  target: string;
  met: boolean;
}

export interface VsTorchResult {
  backend: string;
  threads: { ours: number; torch: number };
  torchVersion: string;
  parameters: { ours: number; torch: number };
  rounds: number;
  warmup: { rounds: number; minMs: number };
  /** The one batch both sides train on: rows, padded widths, non-PAD src + tgtIn tokens. */
  batch: { rows: number; srcLength: number; tgtLength: number; tokens: number };
  ours: { stepMs: number; tokensPerSec: number; matmulGflops: number; modelGflopsPerStep: number; mfu: number };
  torch: { stepMs: number; tokensPerSec: number };
  /** Our speed in units of PyTorch's: torch step time / our step time. */
  speedup: number;
  /** The middle half of the per-round speedups (PyTorch's step over ours in the same round). */
  speedupRounds: Spread;
  fp16: { fp32Ms: number; fp16Ms: number; ratio: number; rounds: Spread };
  checkpointing: { plainMs: number; layersMs: number; ratio: number; rounds: Spread };
  /** torch.utils.checkpoint on the layers the lab's "layers" recomputes, against PyTorch's plain step, for context (no target). */
  torchCheckpointing: { plainMs: number; checkpointedMs: number; ratio: number };
  targets: Target[];
  /**
   * Our plain fp32 step is the reference of all three comparisons: its median in each, and
   * whether it held still within each (engine/bench/interleave.ts `steadiness`). An unsteady
   * run's ratios are the host's as much as the engine's.
   */
  host: { referenceMs: number[]; widestSpread: number; steady: boolean };
}

/** The middle half (quartiles) of per-round ratios. */
type Spread = { low: number; high: number };

const fail = (message: string) => new ConfigError([{ path: '--vs-torch', message }]);

type Reply = { ok?: boolean; threads?: number; torch?: string; parameters?: number; ms?: number; loss?: number; error?: string };

/** tools/bench/torch_step.py as a long-lived process: one JSON request a line, one reply a line. */
class TorchWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';
  private readonly exited: Promise<string>;

  constructor() {
    this.child = spawn(PYTHON, [WORKER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
    // A write to a dead worker fails with EPIPE; `exited` reports why it died instead.
    this.child.stdin.on('error', () => undefined);
    // Settles with the reason the worker is gone; raced against every reply. 'close' rather than
    // 'exit': it comes after stdout has been read to its end, so a last error line is not lost.
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => resolve(`cannot start ${PYTHON}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      this.child.on('close', (code, signal) => resolve(`the PyTorch worker (${PYTHON} ${WORKER}) exited with ${signal ?? `code ${code}`}`));
    });
  }

  async request(msg: object): Promise<Reply> {
    this.child.stdin.write(JSON.stringify(msg) + '\n');
    const gone = this.exited.then((why) => ({ gone: why }));
    const next = this.lines.next().then((r) => (r.done ? undefined : r.value));
    const got = await Promise.race([next, gone]);
    if (got === undefined || typeof got === 'object') {
      const why = typeof got === 'object' ? got.gone : await this.exited;
      throw fail(`${why}${this.stderr ? `:\n${this.stderr.trim()}` : ''}`);
    }
    const reply = JSON.parse(got) as Reply;
    if (reply.error) throw fail(`PyTorch worker: ${reply.error}`);
    return reply;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill(), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** a's step over b's in one interleaved comparison: the ratio of their medians, and the middle half of the per-round ratios. */
function quotient(r: Interleaved, a: string, b: string): { ratio: number; rounds: Spread } {
  return { ratio: r.medians[a]! / r.medians[b]!, rounds: middleHalf(roundRatios(r.samples[a]!, r.samples[b]!)) };
}

/** Non-PAD tokens of src and tgtIn: what the Trainer's tokens/s counts. */
const inputTokens = (b: Batch) => [...(b.src ?? []), ...(b.tgtIn ?? [])].reduce((n, row) => n + row.filter((t) => t !== PAD).length, 0);

/** The intra-op threads our backend computes with: XNNPACK's pool on wasm; the cpu backend is plain single-threaded JS. */
const ourThreads = () => (tf.getBackend() === 'wasm' ? getThreadsCount() : 1);

/**
 * Our training step against PyTorch's on the same model, weights layout, optimizer and batch,
 * step by step in one run, and our fp16 and per-layer recompute against our plain fp32. Every
 * comparison is a pair (or triple) of steps alternated round by round (engine/bench/interleave.ts),
 * so a ratio holds even on a machine shared with other work. The head-to-head runs fp32 without
 * recompute whatever the config says; the config's batch, accumulation and clipping apply to both.
 */
export async function vsTorch(run: RunConfig, opts: VsTorchOptions): Promise<VsTorchResult> {
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) {
    throw new ConfigError([{ path: '--steps', message: `must be ≥ 1 with --vs-torch: it counts the timed rounds (got ${opts.rounds})` }]);
  }
  const base = withTrain(run, { precision: 'fp32', checkpointing: 'none' });
  const t = base.train;
  const task = base.task;
  // A text run's rows all have contextLength tokens: a batch of that shape times the same work.
  const batch = task.name === 'text'
    ? longestBatch(base, t.batchSize)
    : toBatch(createDataset(task, t.seed, { validationSize: t.validationSize }).nextTrain(t.batchSize), architecture(base.model)); // [batchSize, T] per field
  const threads = ourThreads();
  const worker = new TorchWorker();
  const probe = matmulProbe();
  const trainers: Trainer[] = [];
  const trainer = (r: RunConfig) => {
    const tr = Trainer.create(r, { fixedBatch: batch });
    trainers.push(tr);
    return tr;
  };
  const ours = (tr: Trainer): StepFn => async () => (await tr.trainStep()).stepMs;
  const torchStep = (checkpointing: boolean): StepFn => async () => (await worker.request({ cmd: 'step', checkpointing })).ms!;
  try {
    const ready = await worker.request({
      cmd: 'init',
      model: base.model,
      optimizer: t.optimizer,
      batch,
      threads: opts.torchThreads ?? threads,
      seed: t.seed,
      gradAccumSteps: t.gradAccumSteps,
      clipGradNorm: t.clipGradNorm,
    });
    const plain = trainer(base);
    const phase = (name: string, steps: Record<string, StepFn>) => {
      const last = Object.keys(steps).at(-1);
      let timed = 0;
      return interleave(steps, {
        rounds: opts.rounds,
        warmup: WARMUP.rounds,
        minWarmupMs: WARMUP.minMs,
        onStep: (n, round, warm) => {
          if (n === last) opts.onRound?.(name, warm ? `warm-up round ${round + 1}` : `round ${++timed}/${opts.rounds}`);
        },
      });
    };
    // The matmul peak of the MFU is probed in the same rounds as the steps it divides (bench.ts says why).
    const vs = await phase('ours vs PyTorch', { ours: ours(plain), torch: torchStep(false), torchCheckpointed: torchStep(true), matmul: probe.time });
    const half = await phase('fp16 vs fp32', { fp32: ours(plain), fp16: ours(trainer(withTrain(base, { precision: 'fp16' }))) });
    const ckpt = await phase('"layers" vs plain', { plain: ours(plain), layers: ours(trainer(withTrain(base, { checkpointing: 'layers' }))) });
    const gflops = probe.gflops(vs.medians.matmul!);

    const oursMs = vs.medians.ours!;
    const torchMs = vs.medians.torch!;
    const tokens = inputTokens(batch);
    const flops = trainingFlops(base.model, batch);
    const mfu = flops / (oursMs / 1000) / (gflops * 1e9);
    const { ratio: speedup, rounds: speedupRounds } = quotient(vs, 'torch', 'ours');
    const fp16 = { fp32Ms: half.medians.fp32!, fp16Ms: half.medians.fp16!, ...quotient(half, 'fp16', 'fp32') };
    const checkpointing = { plainMs: ckpt.medians.plain!, layersMs: ckpt.medians.layers!, ...quotient(ckpt, 'layers', 'plain') };
    const host = steadiness([vs.samples.ours!, half.samples.fp32!, ckpt.samples.plain!]);
    return {
      backend: tf.getBackend(),
      threads: { ours: threads, torch: ready.threads! },
      torchVersion: ready.torch!,
      parameters: { ours: parameterCount(base.model), torch: ready.parameters! },
      rounds: opts.rounds,
      warmup: WARMUP,
      batch: { rows: batch.tgtOut.length, srcLength: batch.src?.[0]?.length ?? 0, tgtLength: batch.tgtIn?.[0]?.length ?? 0, tokens },
      ours: { stepMs: oursMs, tokensPerSec: (tokens / oursMs) * 1000, matmulGflops: gflops, modelGflopsPerStep: flops / 1e9, mfu },
      torch: { stepMs: torchMs, tokensPerSec: (tokens / torchMs) * 1000 },
      speedup,
      speedupRounds,
      fp16,
      checkpointing,
      torchCheckpointing: { plainMs: torchMs, checkpointedMs: vs.medians.torchCheckpointed!, ratio: vs.medians.torchCheckpointed! / torchMs },
      targets: [
        { name: 'speed vs PyTorch', value: speedup, target: '≥ 4×', met: speedup >= 4 },
        { name: 'MFU', value: mfu, target: '≥ 45%', met: mfu >= 0.45 },
        { name: 'fp16 / fp32', value: fp16.ratio, target: '≤ 1.3×', met: fp16.ratio <= 1.3 },
        { name: 'checkpointing / plain', value: checkpointing.ratio, target: '≤ 1.25×', met: checkpointing.ratio <= 1.25 },
      ],
      host: { referenceMs: host.medians, widestSpread: host.widestSpread, steady: host.steady },
    };
  } finally {
    for (const tr of trainers) tr.dispose();
    probe.dispose();
    await worker.close();
  }
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const times = (x: number) => `${x.toFixed(2)}×`;
const perSec = (x: number) => `${Math.round(x).toLocaleString('en')} tokens/s`;
const rounds = (s: Spread) => `; rounds ${s.low.toFixed(2)}–${s.high.toFixed(2)}×`;
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** One line on whether the fp32 reference held still within each comparison. */
function hostLine(h: VsTorchResult['host']): string {
  const figures = `our fp32 step ${h.referenceMs.map((x) => x.toFixed(1)).join(' / ')} ms in the three comparisons (beside PyTorch's step in the first), the middle half of its rounds at most ${percent(h.widestSpread)} of its median wide`;
  return h.steady
    ? `host: steady: ${figures}`
    : `host: UNSTEADY: ${figures}; over ${percent(STEADY_SPREAD)} means the machine changed speed within a comparison: its ratio is the host's as much as the engine's, so run again on a quiet machine`;
}

/** The result as a table: one row per measure, its detail, and the issue's target with met/MISSES. */
export function vsTorchTable(r: VsTorchResult, config: string): string {
  const verdict = (name: string) => {
    const tg = r.targets.find((x) => x.name === name)!;
    return `${tg.target}: ${tg.met ? 'met' : 'MISSES'}`;
  };
  const rows: [string, string, string, string][] = [
    ['step, ours (fp32)', ms(r.ours.stepMs), perSec(r.ours.tokensPerSec), ''],
    ['step, PyTorch (fp32)', ms(r.torch.stepMs), perSec(r.torch.tokensPerSec), ''],
    ['speed, ours / PyTorch', times(r.speedup), `${ms(r.torch.stepMs)} / ${ms(r.ours.stepMs)}${rounds(r.speedupRounds)}`, verdict('speed vs PyTorch')],
    ['MFU, ours', `${(100 * r.ours.mfu).toFixed(1)}%`, `${r.ours.modelGflopsPerStep.toFixed(3)} GFLOP/step, matmul ${r.ours.matmulGflops.toFixed(1)} GFLOP/s`, verdict('MFU')],
    ['fp16 / fp32, ours', times(r.fp16.ratio), `${ms(r.fp16.fp16Ms)} / ${ms(r.fp16.fp32Ms)}${rounds(r.fp16.rounds)}`, verdict('fp16 / fp32')],
    ['"layers" / plain, ours', times(r.checkpointing.ratio), `${ms(r.checkpointing.layersMs)} / ${ms(r.checkpointing.plainMs)}${rounds(r.checkpointing.rounds)}`, verdict('checkpointing / plain')],
    ['checkpoint / plain, PyTorch', times(r.torchCheckpointing.ratio), `${ms(r.torchCheckpointing.checkpointedMs)} / ${ms(r.torchCheckpointing.plainMs)}`, 'context, no target'],
  ];
  const head: [string, string, string, string] = ['measure', 'value', 'detail', 'target'];
  const widths = [0, 1, 2].map((i) => Math.max(...[head, ...rows].map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  const b = r.batch;
  return [
    `${config}: ${r.parameters.ours.toLocaleString('en')} parameters (PyTorch ${r.parameters.torch.toLocaleString('en')}), batch ${b.rows} × ${b.srcLength} src / ${b.tgtLength} tgt tokens (${b.tokens.toLocaleString('en')} non-PAD)`,
    `ours: ${r.backend}, ${r.threads.ours} thread${r.threads.ours === 1 ? '' : 's'}; PyTorch ${r.torchVersion} on CPU, ${r.threads.torch} thread${r.threads.torch === 1 ? '' : 's'}; medians of ${r.rounds} interleaved rounds after ≥ ${r.warmup.rounds} warm-up rounds and ≥ ${r.warmup.minMs / 1000} s`,
    '',
    line(head),
    ...rows.map(line),
    '',
    hostLine(r.host),
  ].join('\n');
}
