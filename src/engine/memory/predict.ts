import { architecture, type ModelConfig } from '../config';
import type { OptimizerConfig } from '../optim/config';
import { parameterCount } from '../params';
import { precisionPolicy } from '../precision/policy';
import type { RunConfig } from '../runConfig';
import { longestParts, sequenceLength } from '../../tasks/batches';
import type { MemoryBreakdown } from './breakdown';
import { COUNTS } from './coefficients';
import { microFeatures, modeOf, quantitiesOf, type Counts, type Features, type Mode, type Quantity } from './features';
import { halfCopyBytes, hostBoundaryBytes, type MicroShape } from './shapes';

/*
 * The memory of a training step, predicted from its run config alone. Plain TypeScript, no
 * TF.js: the page calls it as the user types. It predicts the figures the trainer measures
 * (StepMetrics.memory): TF.js's logical byte count, on batches of the task's longest sequences,
 * in a step after the first (when the optimizer state exists).
 */

/** The state tensors per parameter tensor that each optimizer keeps (optim/*.ts `slots`). */
export function optimizerSlots(cfg: OptimizerConfig): number {
  switch (cfg.name) {
    case 'sgd':
      return cfg.momentum !== 0 ? 1 : 0;
    case 'adam':
    case 'adamw':
      return 2;
    case 'rmsprop':
      return 1 + (cfg.momentum > 0 ? 1 : 0) + (cfg.centered ? 1 : 0);
    case 'adagrad':
      return 1;
  }
}

/** The shape of a micro-batch of the task's longest sequences (what toBatch pads every row to). */
export function longestMicroBatch(run: Pick<RunConfig, 'model' | 'task' | 'train'>): MicroShape {
  const arch = architecture(run.model);
  const rows = run.train.batchSize / run.train.gradAccumSteps;
  switch (arch) {
    case 'encoder-decoder': {
      // src = input EOS, tgtIn = BOS answer.
      const { input, answer } = longestParts(run.task);
      return { rows, srcLen: input + 1, tgtLen: answer + 1 };
    }
    case 'decoder-only':
      return { rows, srcLen: 0, tgtLen: sequenceLength(run.task, arch) };
    case 'encoder-only':
      return { rows, srcLen: sequenceLength(run.task, arch), tgtLen: 0 };
  }
}

/** The counts that apply to a model, recompute mode and precision (base plus each change that is on). */
function countsFor(cfg: ModelConfig, mode: Mode, half: boolean): Partial<Record<Quantity, Counts>>[] {
  const table = COUNTS[architecture(cfg)];
  const parts = [table[mode]];
  if (cfg.activation === 'gelu') parts.push(table[`${mode}+gelu`]);
  if (cfg.dropout > 0) parts.push(table[`${mode}+dropout`]);
  if (half) parts.push(table[`${mode}+half`]);
  return parts.filter((p): p is Partial<Record<Quantity, Counts>> => p !== undefined);
}

/**
 * One micro-batch's memory figures in bytes above what was alive before it (parameters,
 * optimizer state, accumulated gradients): each quantity of features.ts.
 */
export function microBatchFigures(cfg: ModelConfig, shape: MicroShape, segment: number, half: boolean, offload = false): Partial<Record<Quantity, number>> {
  const features: Features = microFeatures(cfg, shape, segment, offload);
  const parts = countsFor(cfg, modeOf(segment, offload), half);
  const out: Partial<Record<Quantity, number>> = {};
  for (const q of quantitiesOf(cfg, segment, offload)) {
    let elements = 0;
    for (const part of parts) for (const [key, count] of Object.entries(part[q] ?? {})) elements += count * (features[key] ?? 0);
    out[q] = 4 * elements;
  }
  return out;
}

/**
 * The breakdown a step of `run` will report (StepMetrics.memory), without the backend's own
 * figures (`backendInUse` is 0 and `backendAllocated` absent: a prediction has no backend).
 * - parameters, gradients: 4 bytes per parameter each; optimizerState: that times the
 *   optimizer's slots;
 * - savedActivations, halfCopies: what one micro-batch of batchSize / gradAccumSteps rows of the
 *   task's longest sequences keeps for the backward pass (halfCopies: its segment boundaries
 *   packed at half size under fp16 / bf16);
 * - peak: the largest of the micro-batch's moments (end of the forward, end of the backward,
 *   the first segment's recompute when checkpointed) on top of the parameters, the optimizer
 *   state and, with accumulation, the running gradient sum; and of the moments after the
 *   backward pass (summing, unscaling, clipping the gradients);
 * - other: the rest of the peak (intermediate gradients, recompute, transients);
 * - host (offload only): the boundaries waiting in host memory, outside the peak.
 */
/** What a step's peak is made of beyond one micro-batch's own figures (bytes). */
interface StepMoments {
  /** Parameters and optimizer state, alive throughout. */
  resident: number;
  gradients: number;
  /** The micro-batch's own high-water mark, forward and backward. */
  microPeak: number;
  accumulating: boolean;
  lossScaling: boolean;
  clipping: boolean;
}

/** A step's peak over its moments, for token models and the forecaster alike. */
export function stepPeak(m: StepMoments): number {
  // Micro-batches after the first run on top of the running gradient sum.
  const duringBackward = m.resident + (m.accumulating ? m.gradients : 0) + m.microPeak;
  // Adding a micro-batch's gradients: the old sum, the new gradients and the new sum (the first
  // micro-batch: its gradients and their copy).
  const summing = m.resident + (m.accumulating ? 3 : 2) * m.gradients;
  // After the backward pass, until the step's tidy ends: the gradients, their unscaled copy
  // (loss scaling) and the clipped copy. (Each gradient's norm and overflow check are computed
  // and freed on their own: transients.)
  const afterBackward = m.resident + m.gradients * (1 + (m.lossScaling ? 1 : 0) + (m.clipping ? 1 : 0));
  return Math.max(duringBackward, summing, afterBackward);
}

export function predictMemory(run: RunConfig): MemoryBreakdown {
  const { model: cfg, train: t } = run;
  const shape = longestMicroBatch(run);
  const policy = precisionPolicy(t);
  const micro = microBatchFigures(cfg, shape, policy.segmentSize, policy.boundaryStorage !== 'fp32', policy.offload);
  const parameters = 4 * parameterCount(cfg);
  const gradients = parameters;
  const optimizerState = optimizerSlots(t.optimizer) * parameters;
  const accumulating = t.gradAccumSteps > 1;
  const batchTensors = 4 * shape.rows * (shape.srcLen + shape.tgtLen + (architecture(cfg) === 'encoder-only' ? shape.srcLen : shape.tgtLen));
  const halfCopies = halfCopyBytes(cfg, policy, shape);
  const savedActivations = Math.max(0, (micro.kept ?? 0) - batchTensors - halfCopies);

  // The forward pass's own high-water mark sits a little above its end, in the loss's softmax
  // (at most about half the logits' size more; measured up to 0.64 of them).
  const logits = 4 * shape.rows * (architecture(cfg) === 'encoder-only' ? shape.srcLen : shape.tgtLen) * cfg.tgtVocabSize;
  const microPeak = Math.max(
    (micro.forward ?? 0) + 0.5 * logits,
    micro.end ?? 0,
    micro.encForward ?? 0,
    micro.encBackward ?? 0,
    micro.decForward ?? 0,
    micro.decBackward ?? 0,
    micro.keptBackward ?? 0,
    micro.encKeptBackward ?? 0,
  );
  const peak = stepPeak({ resident: parameters + optimizerState, gradients, microPeak, accumulating, lossScaling: policy.lossScaling, clipping: t.clipGradNorm !== null });
  const known = parameters + gradients + optimizerState + savedActivations + halfCopies;
  return {
    parameters,
    gradients,
    optimizerState,
    savedActivations,
    halfCopies,
    other: Math.max(0, peak - known),
    peak,
    backendInUse: 0,
    ...(policy.offload ? { host: hostBoundaryBytes(cfg, policy, shape) } : {}),
  };
}
