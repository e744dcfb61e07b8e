import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import { specsOf, type LabModelConfig } from '../modelKind';
import { sizeOf, type ParamSpec } from '../params';
import { initialValue } from './init';
import type { ParamLookup } from './layers';
import type { NamedTensor } from '../weights/format';

/**
 * The parameters of one model (a token Transformer, or a forecaster: `C`) as tf.Variables,
 * looked up by PyTorch's names. TF.js registers variables globally by name, so they are left
 * to the engine to name (a number it never reuses), which lets any number of models live side
 * by side.
 */
export class TransformerModel<C extends LabModelConfig = ModelConfig> {
  readonly specs: ParamSpec[];
  readonly variables: Map<string, tf.Variable>;

  private constructor(readonly config: C, values: (spec: ParamSpec) => tf.Tensor) {
    this.specs = specsOf(config);
    this.variables = new Map(
      this.specs.map((spec) => {
        const value = values(spec);
        const variable = tf.variable(value, true);
        value.dispose();
        return [spec.name, variable];
      }),
    );
  }

  static initialise<C extends LabModelConfig>(config: C, seed: number): TransformerModel<C> {
    return new TransformerModel(config, (spec) => initialValue(spec, config, seed));
  }

  /** From checked values (e.g. a parsed weights file): every name and shape must already match. */
  static fromValues<C extends LabModelConfig>(config: C, tensors: Map<string, NamedTensor>): TransformerModel<C> {
    return new TransformerModel(config, (spec) => {
      const t = tensors.get(spec.name);
      if (!t) throw new Error(`no values for ${spec.name}`);
      return tf.tensor(t.values, spec.shape, 'float32');
    });
  }

  readonly lookup: ParamLookup = (name) => {
    const v = this.variables.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  };

  /** Parameters in state_dict order, for optimizers and gradient calls. */
  list(): { name: string; variable: tf.Variable }[] {
    return this.specs.map((s) => ({ name: s.name, variable: this.variables.get(s.name)! }));
  }

  parameterBytes(): number {
    return this.specs.reduce((n, s) => n + 4 * sizeOf(s.shape), 0);
  }

  /** Reads every parameter back asynchronously (no dataSync: it stalls WebGPU). */
  async values(): Promise<Map<string, NamedTensor>> {
    const entries = await Promise.all(
      this.specs.map(async (s) => [s.name, { shape: s.shape, values: (await this.variables.get(s.name)!.data()) as Float32Array }] as const),
    );
    return new Map(entries);
  }

  /** Overwrites every parameter with checked values of the same shapes. */
  assign(tensors: Map<string, NamedTensor>): void {
    tf.tidy(() => {
      for (const s of this.specs) this.variables.get(s.name)!.assign(tf.tensor(tensors.get(s.name)!.values, s.shape, 'float32'));
    });
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}
