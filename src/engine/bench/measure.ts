import * as tf from '@tensorflow/tfjs';
import { runnerFor } from '../autograd/checkpoint';
import { offloadRunner } from '../autograd/offload';
import { architecture } from '../config';
import type { MemoryBreakdown } from '../memory/breakdown';
import { meterFor } from '../memory/forecaster';
import type { MemoryMeter } from '../memory/meter';
import { microShape, segmentPlan, stacksOf, type StackShape } from '../memory/shapes';
import { isForecaster, type LabModelConfig } from '../modelKind';
import type { MicroBatch } from '../train/objective';
import { createContext } from '../model/context';
import type { TransformerModel } from '../model/model';
import { matMulFor, weightGradientFor } from '../precision/autocast';
import { precisionPolicy, type PrecisionSettings } from '../precision/policy';
import type { LabRunConfig, RunConfig } from '../runConfig';
import type { SeriesSource } from '../../tasks/forecast/task';
import { lossAndGrads, offloadedLossAndGrads } from '../train/gradients';
import { Trainer } from '../train/trainer';
import { longestParts, toBatch } from '../../tasks/batches';
import { FIRST_SYMBOL, type Batch, type Example } from '../../tasks/types';

/*
 * Measurements of memory with tf.profile, for tests, the benchmark and the calibration script
 * (tools/memory/calibrate.ts). tf.profile reads every kernel's timing back on WebGPU without
 * timestamp queries: never call these from the trainer.
 */

/**
 * `rows` examples of the task's longest input and longest answer, as a batch of the model's
 * layout: every field at the longest length the task can make.
 */
export function longestBatch(run: Pick<RunConfig, 'model' | 'task'>, rows: number): Batch {
  const task = run.task;
  if (task.name === 'text') {
    // Text rows: T tokens in, the next T out, every position counted.
    const window = () => new Array<number>(task.contextLength).fill(FIRST_SYMBOL);
    return { tgtIn: Array.from({ length: rows }, window), tgtOut: Array.from({ length: rows }, window) };
  }
  const { input, answer } = longestParts(task);
  const example: Example = { input: new Array<number>(input).fill(FIRST_SYMBOL), answer: new Array<number>(answer).fill(FIRST_SYMBOL) };
  return toBatch(Array.from({ length: rows }, () => example), architecture(run.model));
}

export interface StepPeak {
  /** tf.profile's peakBytes over the step, less the bytes alive before the trainer existed. */
  peak: number;
  /** The step's own accounting (StepMetrics.memory), its peak made relative the same way. */
  metered: number;
  /** The trainer's breakdown of that step. */
  memory: MemoryBreakdown;
}

/**
 * Profiles one training step on `batch` (the trainer's `fixedBatch`): the measured peak of a
 * step after the first, i.e. with the optimizer state alive. Rather than train a step first,
 * the state is created by one optimizer step of zero gradients at learning rate 0 (the same
 * tensors a real step leaves, at half the cost), unless `warmup` real steps are asked for.
 */
export async function measureTrainingStep(run: LabRunConfig, batch: MicroBatch, warmup = 0, series?: SeriesSource): Promise<StepPeak> {
  const base = tf.memory().numBytes;
  const trainer = Trainer.create(run, { fixedBatch: batch, series });
  try {
    for (let i = 0; i < warmup; i++) await trainer.trainStep();
    if (trainer.optimizer.stepCount === 0) {
      tf.tidy(() => trainer.optimizer.step(new Map(trainer.model.list().map((p) => [p.name, tf.zerosLike(p.variable)])), 0));
    }
    let memory: MemoryBreakdown | undefined;
    const profile = await tf.profile(async () => {
      memory = (await trainer.trainStep()).memory;
      return [];
    });
    if (!memory) throw new Error('the trainer reported no memory breakdown');
    return { peak: profile.peakBytes - base, metered: memory.peak - base, memory };
  } finally {
    trainer.dispose();
  }
}

/** The number of kernels tf.profile has recorded so far (TF.js 4.22 engine state; calibration only). */
function profiledKernels(): number {
  const state = tf.engine().state as unknown as { activeProfile?: { kernels?: unknown[] } };
  return state.activeProfile?.kernels?.length ?? 0;
}

/** The layer-name prefixes of each stack (encoder: also the single stack of the other architectures). */
const STACK_PREFIXES = {
  encoder: ['transformer.encoder.layers.', 'transformer.layers.', 'encoder.layers.'],
  decoder: ['transformer.decoder.layers.'],
} as const;

/** Math.max over a long array (spreading tens of thousands of arguments can overflow the stack). */
const maxOf = (xs: readonly number[], floor = -Infinity) => xs.reduce((a, b) => (b > a ? b : a), floor);

/**
 * One micro-batch's gradient computation, at the moments where its high-water mark can be, in
 * bytes above `before`: the meter's samples, and tf.profile's per-kernel byte counts around them
 * where transients matter.
 */
export interface MicroSamples {
  /** Live bytes when the call started (parameters and whatever else was alive). */
  before: number;
  /** The forward pass's high-water mark (tf.profile; a little above its end, in the loss's softmax). */
  forward: number;
  /** Live bytes at the end of the forward pass (the meter's sample). */
  forwardEnd: number;
  /** What the forward kept for the backward pass, the batch's tensors included (live bytes at its start). */
  kept: number;
  /** The end of the backward pass (every intermediate gradient alive): the last embedding probe and the ops after it. */
  end: number;
  /**
   * A stack's first recomputed segment (recomputed last, with the most gradients alive): the
   * end of its recompute's forward, and of its backward (its first layer's probe, with the
   * transients around it). 0 without the stack or without a recomputed segment.
   */
  encoderStack: { forward: number; backward: number };
  decoderStack: { forward: number; backward: number };
  /**
   * The end of the backward pass of the segment that keeps its tape, in the stack whose backward
   * comes first (0 without recompute).
   */
  keptBackward: number;
  /** The same for an encoder–decoder model's encoder (0 without it or without recompute). */
  encoderKeptBackward: number;
  /** tf.profile's peak over the forward and backward passes. */
  peak: number;
  /** The meter's samples in order, above `before`. */
  trace: { label: string; bytes: number }[];
}

/**
 * One micro-batch's gradient computation (lossAndGrads, as the trainer runs it, with its meter),
 * profiled. For calibration: no optimizer; nothing else should run meanwhile.
 */
export async function measureMicroBatch(model: TransformerModel<LabModelConfig>, batch: MicroBatch, settings: PrecisionSettings): Promise<MicroSamples> {
  const cfg = model.config;
  const policy = precisionPolicy(settings);
  const segment = policy.segmentSize;
  const meter: MemoryMeter = meterFor(cfg, policy, [batch], true);
  const marks: { label: string; bytes: number; kernel: number }[] = [];
  const sample = meter.sample.bind(meter);
  meter.sample = (label?: string) => {
    const bytes = sample(label);
    marks.push({ label: label ?? 'step', bytes, kernel: profiledKernels() });
    return bytes;
  };
  const matMul = matMulFor(policy.matMul);
  const roundWeightGradient = weightGradientFor(policy.matMul);
  const contextFor = () => createContext({ dropoutRate: cfg.dropout, dropoutSeed: { seed: 1, step: 0, firstRow: 0 }, matMul, roundWeightGradient });
  const before = tf.memory().numBytes;
  const profile = await tf.profile(async () => {
    const { loss, grads } = policy.offload
      ? await offloadedLossAndGrads(model, [batch], contextFor, (host) => offloadRunner(policy.segmentSize, policy.boundaryStorage, host), 1, meter)
      : lossAndGrads(model, [batch], contextFor, runnerFor(policy), 1, meter);
    tf.dispose([loss, ...grads.values()]);
    return [];
  });
  const snapshots = profile.kernels.map((k) => k.totalBytesSnapshot);
  const find = (labels: readonly string[]) => marks.findIndex((m) => labels.includes(m.label));
  const backwardStart = find(['backward-start']);
  const backwardEnd = find(['backward-end']);
  const lastProbe = backwardEnd - 1; // the embedding probe nearest the end of the backward pass
  // A forecaster runs one encoder stack over its variate tokens.
  const stacks: StackShape[] = isForecaster(cfg)
    ? [{ kind: 'encoder', layers: cfg.nLayers, length: cfg.nVariates }]
    : stacksOf(cfg, microShape(batch as Batch));
  const planOf = (kind: 'encoder' | 'decoder') => {
    const stack = stacks.find((st) => st.kind === kind);
    return stack ? segmentPlan(stack, segment, policy.offload) : null;
  };
  /** The first recomputed segment of a stack: the end of its recompute's forward and of its backward. */
  const stackPeaks = (kind: 'encoder' | 'decoder') => {
    const prefixes = STACK_PREFIXES[kind];
    const plan = planOf(kind);
    const probe = find(prefixes.map((p) => `backward:${p}0`));
    if (!plan || plan.recomputed === 0 || probe < 0) return { forward: 0, backward: 0 };
    const last = prefixes.map((p) => `forward:${p}${plan.firstLayers - 1}`);
    let forward = probe - 1;
    while (forward > 0 && !last.includes(marks[forward]!.label)) forward--;
    const end = marks[probe + 1]?.kernel ?? snapshots.length;
    return {
      forward: marks[forward]!.bytes - before,
      backward: maxOf(snapshots.slice(marks[forward]!.kernel, end), marks[probe]!.bytes) - before,
    };
  };
  /**
   * A stack's kept segment at the end of its backward pass, its tape not yet freed: from the
   * sample before its first layer's backward pass (a layer's probe fires at the end of it),
   * through the gradients that run after the probe, to the runner's next mark.
   */
  const keptBackward = (stack: StackShape | undefined): number => {
    const plan = stack && segmentPlan(stack, segment, policy.offload);
    if (!stack || !plan || plan.keptLayers === 0) return 0;
    const probe = find(STACK_PREFIXES[stack.kind].map((p) => `backward:${p}${stack.layers - plan.keptLayers}`));
    const end = marks.findIndex((m, i) => i > probe && m.label === 'kept-backward-end');
    return maxOf(snapshots.slice(marks[probe - 1]!.kernel, marks[end]!.kernel), marks[end]!.bytes) - before;
  };
  return {
    before,
    forward: maxOf(snapshots.slice(0, marks[backwardStart]!.kernel), marks[find(['forward-end'])]!.bytes) - before,
    forwardEnd: marks[find(['forward-end'])]!.bytes - before,
    kept: marks[backwardStart]!.bytes - before,
    // The embedding probe and what runs after it (what runs before it may be a recompute's peak).
    end: maxOf(snapshots.slice(marks[lastProbe]!.kernel, marks[backwardEnd]!.kernel), marks[lastProbe]!.bytes) - before,
    encoderStack: stackPeaks('encoder'),
    decoderStack: stackPeaks('decoder'),
    // The stack run last is the first to go backward.
    keptBackward: keptBackward(stacks[stacks.length - 1]),
    encoderKeptBackward: stacks.length === 2 ? keptBackward(stacks[0]) : 0,
    peak: maxOf(snapshots.slice(0, marks[backwardEnd]!.kernel)) - before,
    trace: marks.map(({ label, bytes }) => ({ label, bytes: bytes - before })),
  };
}
