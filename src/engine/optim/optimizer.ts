import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, OptimizerName } from './config';
import { encodeFloat32Base64 } from '../weights/base64';
import type { StepScalar, UpdateRule } from './rule';
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
  /**
   * `step` decided on the device: it lands only where `apply` (a bool scalar) is true; otherwise
   * every parameter, every slot and every step count keep their values. Nothing is read back,
   * so several such steps can run before the host learns which landed and says so with `settle`.
   * Every parameter needs a gradient. With `commit` false (a compile-only warm-up) it runs the
   * same kernels and changes nothing.
   */
  stepWhere(grads: ReadonlyMap<string, tf.Tensor>, lr: number, apply: tf.Tensor, commit?: boolean): void;
  /** Which of the `stepWhere` calls since the last settle landed, in order (the host's reading of `apply`). */
  settle(landed: readonly boolean[]): void;
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
  /** Steps known to have landed (settled). */
  step: number;
  slots: Record<string, tf.Tensor>;
  /**
   * Made by a `stepWhere` not yet settled, on a parameter that had no state: whether any of
   * those steps landed (so whether the state exists, for PyTorch) is on the device until settle.
   */
  unsettled?: boolean;
}

/** `stepWhere` calls not yet settled: how many, and how many landed (float32 scalar on the device). */
interface Window {
  issued: number;
  landed: tf.Tensor;
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
  private window: Window | null = null;

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

  private checkStep(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
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
  }

  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.checkStep(grads, lr);
    if (this.window) throw new Error('optimizer.step: settle the steps decided on the device first');
    for (const p of this.params) {
      const grad = grads.get(p.name);
      if (!grad) continue;
      const old = this.state.get(p.name);
      const step = (old?.step ?? 0) + 1;
      const slots = tf.tidy(() => {
        const out = this.rule.update(p.variable, grad, old?.slots, this.rule.stepScalars(step, lr), lr);
        p.variable.assign(out.param);
        for (const t of Object.values(out.state)) tf.keep(t);
        return out.state;
      });
      if (old) for (const t of Object.values(old.slots)) t.dispose();
      this.state.set(p.name, { step, slots });
    }
    this.steps += 1;
  }

  stepWhere(grads: ReadonlyMap<string, tf.Tensor>, lr: number, apply: tf.Tensor, commit = true): void {
    this.checkStep(grads, lr);
    const missing = this.params.find((p) => !grads.has(p.name));
    if (missing) throw new Error(`optimizer.stepWhere: no gradient for "${missing.name}"`);
    const issued = this.window?.issued ?? 0;
    const landed = this.window?.landed;
    // The step count is settled count + landed-in-window + 1: the scalars of every count the
    // window allows are computed on the host, as `step` computes them, and picked on the device.
    const tables = new Map<number, tf.Tensor[]>();
    const scalarsFor = (settled: number): readonly StepScalar[] => {
      if (issued === 0 || !landed) return this.rule.stepScalars(settled + 1, lr);
      let picked = tables.get(settled);
      if (!picked) {
        const rows = Array.from({ length: issued + 1 }, (_, j) => this.rule.stepScalars(settled + 1 + j, lr));
        const index = landed;
        picked = tf.tidy(() => (rows[0] ?? []).map((_, k) => tf.keep(tf.gather(tf.tensor1d(rows.map((r) => r[k]!), 'float32'), index.toInt().reshape([1])).reshape([]))));
        tables.set(settled, picked);
      }
      return picked;
    };
    // One parameter at a time, as `step` does: the old value goes as soon as the new one lands.
    for (const p of this.params) {
      const grad = grads.get(p.name)!;
      const old = this.state.get(p.name);
      const settled = old?.step ?? 0;
      const slots = tf.tidy(() => {
        // PyTorch creates a parameter's state on its first step (SGD's momentum buffer from the
        // gradient itself): a parameter with settled state continues it.
        let upd = this.rule.update(p.variable, grad, old && !old.unsettled ? old.slots : undefined, scalarsFor(settled), lr);
        if (old?.unsettled && landed) {
          // No settled state, but an earlier step of this window may have landed and made it:
          // the first step's update or a later one, picked on the device.
          const later = this.rule.update(p.variable, grad, old.slots, scalarsFor(settled), lr);
          const first = landed.equal(0);
          upd = {
            param: tf.where(first, upd.param, later.param),
            state: Object.fromEntries(Object.entries(upd.state).map(([k, t]) => [k, tf.where(first, t, later.state[k]!)])),
          };
        }
        const param = tf.where(apply, upd.param, p.variable);
        const next = Object.fromEntries(Object.entries(upd.state).map(([k, t]) => [k, tf.where(apply, t, old?.slots[k] ?? tf.zerosLike(t))]));
        if (!commit) return {};
        p.variable.assign(param);
        for (const t of Object.values(next)) tf.keep(t);
        return next;
      });
      if (!commit) continue;
      if (old) for (const t of Object.values(old.slots)) t.dispose();
      this.state.set(p.name, { step: settled, slots, unsettled: !old || old.unsettled });
    }
    for (const t of tables.values()) tf.dispose(t);
    if (!commit) return;
    const count = tf.tidy(() => (landed ?? tf.scalar(0)).add(apply.cast('float32')));
    landed?.dispose();
    this.window = { issued: issued + 1, landed: count };
  }

  settle(landed: readonly boolean[]): void {
    this.assertLive();
    const issued = this.window?.issued ?? 0;
    if (landed.length !== issued) throw new Error(`optimizer.settle: ${landed.length} outcomes for ${issued} steps`);
    const n = landed.filter(Boolean).length;
    for (const [name, s] of [...this.state]) {
      s.step += n;
      if (!s.unsettled) continue;
      if (n > 0) s.unsettled = false;
      else {
        // Every step was skipped: the state PyTorch would create lazily does not exist yet.
        for (const t of Object.values(s.slots)) t.dispose();
        this.state.delete(name);
      }
    }
    this.steps += n;
    this.window?.landed.dispose();
    this.window = null;
  }

  stateBytes(): number {
    let bytes = 0;
    for (const s of this.state.values()) for (const t of Object.values(s.slots)) bytes += t.size * 4;
    return bytes;
  }

  async saveState(): Promise<OptimizerState> {
    this.assertLive();
    if (this.window) throw new Error('optimizer.saveState: settle the steps decided on the device first');
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
    this.window?.landed.dispose();
    this.window = null;
    for (const s of this.state.values()) for (const t of Object.values(s.slots)) t.dispose();
    this.state.clear();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error(`${this.name} optimizer is disposed`);
  }
}
