import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, OptimizerName } from './config';
import { encodeFloat32Base64 } from '../weights/base64';
import type { UpdateRule } from './rule';
import { decodeState, type OptimizerState, type SavedTensor } from './state';

/** A trainable parameter, by its PyTorch `state_dict()` name. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

export interface Optimizer {
  readonly name: OptimizerName;
  readonly config: OptimizerConfig;
  /** How many times `step` has run (restored by `loadState`). */
  readonly stepCount: number;
  /**
   * Updates every parameter that has a gradient in `grads`, in place, with learning rate `lr`.
   * A parameter without one is left alone and its state neither created nor advanced (as
   * PyTorch does for `p.grad is None`). Reads nothing back from the device; the gradients
   * stay the caller's to dispose.
   */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void;
  /** Bytes held in the state tensors (float32), for memory accounting. */
  stateBytes(): number;
  /** A bit-exact, JSON-serialisable copy of the state. */
  saveState(): Promise<OptimizerState>;
  /**
   * Replaces the state with a saved one after checking all of it; throws `ConfigError` naming
   * the bad field and changes nothing when any check fails.
   */
  loadState(state: unknown): void;
  /** Frees the state tensors (not the parameters). The optimizer cannot be used afterwards. */
  dispose(): void;
}

interface ParamState {
  step: number;
  slots: Record<string, tf.Tensor>;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The bookkeeping every optimizer shares; the arithmetic is its `UpdateRule`. */
export class RuleOptimizer implements Optimizer {
  readonly name: OptimizerName;
  private readonly params: readonly NamedVariable[];
  private readonly byName: Map<string, NamedVariable>;
  private readonly state = new Map<string, ParamState>();
  private steps = 0;
  private disposed = false;

  constructor(
    readonly config: OptimizerConfig,
    private readonly rule: UpdateRule,
    params: readonly NamedVariable[],
  ) {
    this.name = rule.name;
    this.params = [...params];
    this.byName = new Map();
    for (const p of this.params) {
      if (this.byName.has(p.name)) throw new Error(`createOptimizer: parameter "${p.name}" is listed twice`);
      if (p.variable.dtype !== 'float32') throw new Error(`createOptimizer: parameter "${p.name}" is ${p.variable.dtype}, not float32`);
      this.byName.set(p.name, p);
    }
  }

  get stepCount(): number {
    return this.steps;
  }

  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.assertLive();
    if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`optimizer.step: lr must be finite and ≥ 0 (got ${lr})`);
    for (const [name, g] of grads) {
      const p = this.byName.get(name);
      if (!p) throw new Error(`optimizer.step: gradient for unknown parameter "${name}"`);
      if (g.isDisposed) throw new Error(`optimizer.step: gradient of "${name}" is disposed`);
      if (g.dtype !== 'float32' || !sameShape(g.shape, p.variable.shape)) {
        throw new Error(`optimizer.step: gradient of "${name}" is ${g.dtype} [${g.shape.join(',')}], the parameter is float32 [${p.variable.shape.join(',')}]`);
      }
    }
    for (const p of this.params) {
      const grad = grads.get(p.name);
      if (!grad) continue;
      const old = this.state.get(p.name);
      const step = (old?.step ?? 0) + 1;
      const slots = tf.tidy(() => {
        const out = this.rule.update(p.variable, grad, old?.slots, step, lr);
        p.variable.assign(out.param);
        for (const t of Object.values(out.state)) tf.keep(t);
        return out.state;
      });
      if (old) for (const t of Object.values(old.slots)) t.dispose();
      this.state.set(p.name, { step, slots });
    }
    this.steps += 1;
  }

  stateBytes(): number {
    let bytes = 0;
    for (const s of this.state.values()) for (const t of Object.values(s.slots)) bytes += t.size * 4;
    return bytes;
  }

  async saveState(): Promise<OptimizerState> {
    this.assertLive();
    // Take the snapshot now: later steps replace (and dispose) the state while we await.
    const snapshot = [...this.state].map(([name, s]) => ({
      name,
      step: s.step,
      slots: Object.entries(s.slots).map(([slot, t]) => [slot, tf.clone(t)] as const),
    }));
    const out: OptimizerState = { name: this.name, step: this.steps, slots: {} };
    try {
      for (const p of snapshot) {
        const slots: Record<string, SavedTensor> = {};
        if (this.rule.counted) slots.step = { shape: [], base64: encodeFloat32Base64(Float32Array.of(p.step)) };
        for (const [slot, t] of p.slots) {
          slots[slot] = { shape: [...t.shape], base64: encodeFloat32Base64((await t.data()) as Float32Array) };
        }
        if (Object.keys(slots).length > 0) out.slots[p.name] = slots; // plain SGD keeps nothing
      }
    } finally {
      for (const p of snapshot) for (const [, t] of p.slots) t.dispose();
    }
    return out;
  }

  loadState(raw: unknown): void {
    this.assertLive();
    const decoded = decodeState(raw, {
      name: this.name,
      params: new Map(this.params.map((p) => [p.name, p.variable.shape])),
      slots: this.rule.slots,
      counted: this.rule.counted,
      nonNegative: this.rule.nonNegative,
    });
    const next = new Map<string, ParamState>();
    for (const [name, entry] of decoded.params) {
      const shape = this.byName.get(name)?.variable.shape ?? [];
      const slots: Record<string, tf.Tensor> = {};
      for (const [slot, values] of entry.slots) slots[slot] = tf.keep(tf.tensor(values, shape, 'float32'));
      next.set(name, { step: entry.step, slots });
    }
    this.disposeState();
    for (const [name, s] of next) this.state.set(name, s);
    this.steps = decoded.step;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposeState();
    this.disposed = true;
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.slots)) t.dispose();
    this.state.clear();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error(`${this.name} optimizer is disposed`);
  }
}
