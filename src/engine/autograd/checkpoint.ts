import * as tf from '@tensorflow/tfjs';
import { packHalf, unpackHalf } from '../kernels/half';
import { runPlainly, type StackLayer, type StackObserver, type StackRunner } from '../model/forward';
import type { ParamLookup } from '../model/layers';
import { segmentSize, type Checkpointing, type Precision, type PrecisionPolicy } from '../precision/policy';
import { gradientsRecording, nestedGrads, recordForward, type RecordedForward } from '../internals/tape';

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

function checkStorage(storage: unknown): asserts storage is Precision {
  if (storage !== 'fp32' && storage !== 'fp16' && storage !== 'bf16') {
    throw new Error(`checkpoint boundaries are kept in 'fp32', 'fp16' or 'bf16' (got ${String(storage)})`);
  }
}

/**
 * A stack runner that recomputes: every `mode` consecutive layers ('layers' = 1) form one
 * segment. The whole stack is one custom-gradient op whose forward runs the segments one after
 * another and keeps only each segment's input (its boundary), in `storage`; its backward walks
 * the segments from the last, running each again from its boundary under a nested gradient.
 *
 * Each stack's last segment is not recomputed, as `torch.utils.checkpoint.checkpoint_sequential`
 * called on each stack does not recompute its own: that segment runs with its tape recorded
 * (internals/tape.ts `recordForward`), and its backward walks that tape. In the stack whose
 * backward pass comes first (the decoder, or a model's one stack) this costs no memory: the
 * recompute of the same segment would be alive as the backward starts. The encoder's kept tape
 * stays alive through the decoder's passes: one segment's activations more at the peak, for one
 * segment's forward less (on the benchmark model, 4% of a step under "layers", 7% under fp16).
 *
 * - `storage` 'fp32': gradients equal the plain runner's, dropout included, because the
 *   recompute calls the same layers with the same ForwardContext, whose masks are seeded per site.
 * - `storage` 'fp16' / 'bf16': every boundary of a recomputed segment (the stack's input
 *   included) is kept by packHalf, two halves per int32 element, half the bytes of float32. The
 *   forward runs each segment on its boundary unpacked (the kept segment on its input rounded
 *   the same way), so loss and gradients are those of a plain run that rounds every segment's
 *   input to half (roundHalf, whose gradient passes dy straight through); inside a segment
 *   everything stays float32. On a backend without the half kernels (webgl) packHalf
 *   keeps rounded float32 values instead: the same numbers, no saving.
 *
 * An attention probe (`ForwardContext.recordAttention`) sees each recomputed segment twice, and
 * the first time with tensors freed when the segment's forward ends.
 */
export function checkpointRunner(mode: Exclude<Checkpointing, 'none'>, storage: Precision = 'fp32'): StackRunner {
  return recomputingRunner(mode, storage, deviceKeeper);
}

/**
 * Where a recomputing stack keeps its segments' boundaries from the forward to the backward
 * pass: on the device among what its op saves (checkpointRunner), or in host memory (offload.ts).
 */
export interface BoundaryKeeper {
  /** Takes segment s's boundary (packed under half storage), made in the forward pass; the keeper owns it. */
  keep(s: number, boundary: tf.Tensor): void;
  /** What the stack op must save for its backward pass on top of its extras and parameters. */
  saved(): tf.Tensor[];
  /** Segment s's boundary in the backward pass; `saved` are the engine's copies of saved(). */
  take(s: number, saved: tf.Tensor[]): tf.Tensor;
  /** Done with what take(s) gave. */
  release(boundary: tf.Tensor): void;
  /** Whether a stack may keep its last segment's tape (not when boundaries must leave the device). */
  readonly keepsTape: boolean;
}

/** Boundaries saved by the stack op itself: the engine keeps them until the backward pass ends. */
function deviceKeeper(): BoundaryKeeper {
  const kept: tf.Tensor[] = [];
  return {
    keep: (s, boundary) => void (kept[s] = boundary),
    saved: () => kept,
    take: (s, saved) => saved[s]!,
    release: () => undefined,
    keepsTape: true,
  };
}

/** A recomputing runner whose stacks keep their boundaries in a fresh `keeper()` each. */
export function recomputingRunner(mode: Exclude<Checkpointing, 'none'>, storage: Precision, keeper: () => BoundaryKeeper): StackRunner {
  const size = segmentSize(mode, storage);
  checkSize(size);
  checkStorage(storage);
  return (layers, x, extras, p, observer) => runSegments(segmentsOf(layers, size), x, extras, p, { storage, observer, keeper: keeper() });
}

/**
 * The runner a precision policy decided on (precision/policy.ts): the plain one without
 * recompute, else segments of `segmentSize` layers with boundaries kept in `boundaryStorage`.
 */
export function runnerFor(policy: PrecisionPolicy): StackRunner {
  checkStorage(policy.boundaryStorage);
  return policy.segmentSize === 0 ? runPlainly : checkpointRunner(policy.segmentSize, policy.boundaryStorage);
}

const unique = (names: string[]): string[] => [...new Set(names)];

const asFloat32 = (g: tf.Tensor): tf.Tensor => (g.dtype === 'float32' ? g : tf.cast(g, 'float32'));

/** Adds `g` into the running sum `sum` (either may be missing); the result is a new tensor or g itself. */
function accumulate(sum: tf.Tensor | null, g: tf.Tensor | null): tf.Tensor | null {
  if (g === null) return sum;
  return sum === null ? g : tf.add(sum, g);
}

/**
 * The stack as one custom-gradient op over [x, ...extras, ...params], params being every
 * parameter of every layer, each once. Every parameter is an explicit input (a variable read
 * by closure inside a custom gradient gets no gradient), and inside a segment parameters come
 * only from the inputs that belong to its own layers.
 */
function runSegments(
  segments: StackLayer[][],
  x: tf.Tensor,
  extras: tf.Tensor[],
  p: ParamLookup,
  opts: { storage: Precision; observer: StackObserver | undefined; keeper: BoundaryKeeper },
): tf.Tensor {
  const { storage, observer, keeper } = opts;
  if (segments.length === 0) return x;
  const nSegments = segments.length;
  const nExtras = extras.length;
  const names = unique(segments.flatMap((layers) => layers.flatMap((l) => l.paramNames)));
  const position = new Map(names.map((name, i) => [name, i]));
  /** For each segment, the positions in `names` of the parameters its layers read. */
  const owned = segments.map((layers) => unique(layers.flatMap((l) => l.paramNames)).map((name) => position.get(name)!));
  /** Each boundary's shape, set by the forward (packed boundaries are flat). */
  const shapes: number[][] = [];
  /**
   * The parameters that are variables, by position (null for other tensors), set by the
   * forward. The backward reads variables as they are, since nothing frees them in between;
   * a kept copy would cost nothing on the device but count its bytes once more in the
   * engine's figures. Any other parameter is saved like the extras.
   */
  let variables: (tf.Variable | null)[] = [];
  /** The last segment's forward, recorded with its tape (set by the forward when gradients will follow). */
  let last: RecordedForward | null = null;

  // Segment s as a function of its input, the extras and its own parameters: the forward and
  // the recompute both run this.
  const apply = (s: number, input: tf.Tensor, extraInputs: tf.Tensor[], params: tf.Tensor[]): tf.Tensor => {
    const layers = segments[s]!;
    const byName = new Map(owned[s]!.map((i, j) => [names[i]!, params[j]!]));
    const lookup: ParamLookup = (name) => {
      const t = byName.get(name);
      if (!t) {
        const where = layers.map((l) => l.prefix).join(', ');
        throw new Error(`${name} is read by the checkpointed segment [${where}] but is not among its layers' paramNames`);
      }
      return t;
    };
    return runPlainly(layers, input, extraInputs, lookup);
  };
  const store = (h: tf.Tensor): tf.Tensor => (storage === 'fp32' ? h : packHalf(h, storage));
  const restore = (stored: tf.Tensor, s: number): tf.Tensor => (storage === 'fp32' ? stored : unpackHalf(stored, shapes[s]!, storage));

  const stack = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const inputs = args as tf.Tensor[];
    const extraInputs = inputs.slice(1, 1 + nExtras);
    const params = inputs.slice(1 + nExtras);
    // Nothing but the output and the saved boundaries survives the forward: no tape records
    // inside a custom op, and each segment's intermediates go when its tidy ends.
    // The last segment keeps its tape. Without a gradient computation recording, no backward
    // pass will come to free that tape.
    const keepsLast = keeper.keepsTape && gradientsRecording();
    const value = tf.tidy(() => {
      let h = inputs[0]!;
      for (let s = 0; s < nSegments; s++) {
        shapes[s] = h.shape.slice();
        const input = h;
        const own = owned[s]!.map((i) => params[i]!);
        if (s === nSegments - 1 && keepsLast) {
          const x = storage === 'fp32' ? input : tf.tidy(() => restore(store(input), s));
          last = recordForward((xi, ...rest) => apply(s, xi, rest.slice(0, nExtras), rest.slice(nExtras)), [x, ...extraInputs, ...own]);
          if (x !== input && x !== last.value) x.dispose();
          h = last.value;
          break;
        }
        const [stored, next] = tf.tidy(() => {
          const kept = store(input);
          return [kept, apply(s, restore(kept, s), extraInputs, own)];
        });
        keeper.keep(s, stored!);
        // A float32 boundary is the previous output itself; a packed one replaces it.
        if (storage !== 'fp32' && s > 0 && input !== next) input.dispose();
        h = next!;
      }
      // The engine keeps its own copies of what is saved; ours go when this tidy ends (the stack's input is not ours).
      variables = params.map((t) => (t instanceof tf.Variable ? t : null));
      save([...extraInputs, ...params.filter((_, i) => variables[i] === null), ...keeper.saved()]);
      return h;
    });
    return {
      value,
      // `saved` are the engine's kept copies; the forward's inputs may be gone by now.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy, saved),
    };
  });

  /**
   * Walks the segments from the last: dy of a segment's output → gradients of its input (the
   * next dy), of the extras (summed over segments) and of its parameters. Each segment's
   * recompute is freed before the next one starts.
   */
  const backward = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const recomputed = last === null ? nSegments : nSegments - 1;
    const extraInputs = saved.slice(0, nExtras);
    const nOthers = variables.filter((v) => v === null).length;
    const others = saved.slice(nExtras, nExtras + nOthers);
    const keeperSaved = saved.slice(nExtras + nOthers);
    const params = variables.map((v) => {
      if (v === null) return others.shift()!;
      if (v.isDisposed) throw new Error(`${v.name} was disposed between the forward and the backward pass of a checkpointed stack`);
      return v;
    });
    let carry = dy; // the gradient of the current segment's output; dy itself is the engine's
    let extraGrads: (tf.Tensor | null)[] = extraInputs.map(() => null);
    const paramGrads: (tf.Tensor | null)[] = params.map(() => null);
    for (let s = nSegments - 1; s >= 0; s--) {
      const mine = owned[s]!;
      const step = { dx: null as tf.Tensor | null, extras: [] as (tf.Tensor | null)[], params: [] as (tf.Tensor | null)[] };
      // What the tidy returns carries over; the recompute and its other gradients go.
      tf.tidy(() => {
        // The last segment's gradients come from its recorded tape, every other's from a recompute.
        const recorded = s === recomputed ? last : null;
        const boundary = recorded ? null : keeper.take(s, keeperSaved);
        const input = boundary && restore(boundary, s);
        const grads = recorded
          ? recorded.backward(carry, observer && (() => observer.keptBackwardEnd()))
          : nestedGrads(
            (xi, ...rest) => apply(s, xi, rest.slice(0, nExtras), rest.slice(nExtras)),
            [input!, ...extraInputs, ...mine.map((i) => params[i]!)],
            carry,
          );
        step.dx = grads[0] ?? tf.zeros(shapes[s]!);
        if (boundary) keeper.release(boundary);
        step.extras = extraInputs.map((_, j) => accumulate(extraGrads[j] ?? null, grads[1 + j] ?? null));
        step.params = mine.map((i, j) => accumulate(paramGrads[i] ?? null, grads[1 + nExtras + j] ?? null));
        return [step.dx, ...step.extras, ...step.params].filter((t): t is tf.Tensor => t !== null);
      });
      if (s === recomputed) last = null;
      // A sum is a new tensor, or the old one when this segment gave no gradient; a segment
      // that returns its input unchanged passes its dy on as its dx.
      if (carry !== dy && carry !== step.dx) carry.dispose();
      extraGrads.forEach((old, j) => old !== null && old !== step.extras[j] && old.dispose());
      mine.forEach((i, j) => {
        const old = paramGrads[i] ?? null;
        if (old !== null && old !== step.params[j]) old.dispose();
        paramGrads[i] = step.params[j] ?? null;
      });
      extraGrads = step.extras;
      carry = step.dx!;
    }
    // The engine's dy is not ours to hand back.
    if (carry === dy) carry = tf.clone(dy);
    const gradients = [carry, ...extraGrads, ...paramGrads];
    const shapeOf = (i: number) => (i === 0 ? shapes[0]! : (i <= nExtras ? extraInputs[i - 1]! : params[i - 1 - nExtras]!).shape);
    return gradients.map((g, i) => {
      if (g === null) return tf.zeros(shapeOf(i), 'float32');
      const f = asFloat32(g);
      if (f !== g) g.dispose();
      return f;
    });
  };

  return stack(x, ...extras, ...names.map((name) => p(name)));
}
