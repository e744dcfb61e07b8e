import * as tf from '@tensorflow/tfjs';
import { runPlainly, type StackLayer, type StackRunner } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { nestedGrads } from './tape';

/** `train.checkpointing`: no recompute, one segment per layer, or n consecutive layers per segment. */
export type Checkpointing = 'none' | 'layers' | number;

/** Splits `items` into runs of `size` consecutive ones; the last run may be shorter. */
export function segmentsOf<T>(items: readonly T[], size: number): T[][] {
  checkSize(size);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new Error(`a checkpointed segment needs a whole number of layers ≥ 1 (got ${size})`);
}

/**
 * A stack runner that recomputes: every `mode` consecutive layers ('layers' = 1) form one
 * segment whose forward keeps only its inputs and whose backward runs it again. Gradients
 * equal the plain runner's, dropout included, because the recompute calls the same layers
 * with the same ForwardContext, whose masks are seeded per site.
 * An attention probe (`ForwardContext.recordAttention`) sees each segment twice, and the
 * first time with tensors freed when the segment's forward ends.
 */
export function checkpointRunner(mode: 'layers' | number): StackRunner {
  const size = mode === 'layers' ? 1 : mode;
  checkSize(size);
  return (layers, x, extras, p) => segmentsOf(layers, size).reduce((h, segment) => runSegment(segment, h, extras, p), x);
}

/** The runner for a `train.checkpointing` setting. */
export function runnerFor(checkpointing: Checkpointing): StackRunner {
  return checkpointing === 'none' ? runPlainly : checkpointRunner(checkpointing);
}

/**
 * One segment as a custom-gradient op over [x, ...extras, ...params]. Every parameter is an
 * explicit input (a variable read by closure inside a custom gradient gets no gradient), and
 * inside the segment parameters come only from those inputs.
 */
function runSegment(layers: StackLayer[], x: tf.Tensor, extras: tf.Tensor[], p: ParamLookup): tf.Tensor {
  const names = [...new Set(layers.flatMap((l) => l.paramNames))];
  const nExtras = extras.length;
  const where = layers.map((l) => l.prefix).join(', ');

  // The segment as a function of its inputs: the forward and the recompute both run this.
  const apply = (inputs: tf.Tensor[]): tf.Tensor => {
    const params = new Map(names.map((name, i) => [name, inputs[1 + nExtras + i]!]));
    const lookup: ParamLookup = (name) => {
      const t = params.get(name);
      if (!t) throw new Error(`${name} is read by the checkpointed segment [${where}] but is not among its layers' paramNames`);
      return t;
    };
    return runPlainly(layers, inputs[0]!, inputs.slice(1, 1 + nExtras), lookup);
  };

  const segment = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const inputs = args as tf.Tensor[];
    save(inputs);
    return {
      // Nothing but the output survives the forward: no tape records inside a custom op.
      value: tf.tidy(() => apply(inputs)),
      // `saved` are the engine's kept copies; the forward's inputs may be gone by now.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() =>
          nestedGrads((...xs) => apply(xs), saved, dy).map((g, i) =>
            g === null ? tf.zeros(saved[i]!.shape, 'float32') : g.dtype === 'float32' ? g : g.cast('float32'),
          ),
        ),
    };
  });
  return segment(x, ...extras, ...names.map((name) => p(name)));
}
