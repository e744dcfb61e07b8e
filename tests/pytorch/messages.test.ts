import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/engine/config';
import { parseRunConfig } from '../../src/engine/runConfig';
import { ConfigError } from '../../src/engine/validation';
import { parseWeights } from '../../src/engine/weights/format';
import { python } from './python';

type Kind = 'weights' | 'run' | 'model';

function labLines(kind: Kind, value: unknown): string[] {
  try {
    if (kind === 'weights') parseWeights(value);
    else if (kind === 'run') parseRunConfig(value);
    else parseModelConfig(value, { prefix: 'config' });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message.split('\n');
  }
}

const MODEL = { srcVocabSize: 7, tgtVocabSize: 7, dModel: 4, nHeads: 2, nEncoderLayers: 1, dFF: 4, maxLen: 3 };
const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');
const zeros = (shape: number[]) => ({ shape, dtype: 'float32', data: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0) });

/** Every tensor of the encoder-only MODEL, zero-filled. */
function goodTensors(): Record<string, unknown> {
  const d = 4;
  const layer = 'transformer.layers.0';
  const shapes: Record<string, number[]> = {
    'src_embed.weight': [7, d],
    [`${layer}.self_attn.in_proj_weight`]: [3 * d, d], [`${layer}.self_attn.in_proj_bias`]: [3 * d],
    [`${layer}.self_attn.out_proj.weight`]: [d, d], [`${layer}.self_attn.out_proj.bias`]: [d],
    [`${layer}.linear1.weight`]: [4, d], [`${layer}.linear1.bias`]: [4], [`${layer}.linear2.weight`]: [d, 4], [`${layer}.linear2.bias`]: [d],
    [`${layer}.norm1.weight`]: [d], [`${layer}.norm1.bias`]: [d], [`${layer}.norm2.weight`]: [d], [`${layer}.norm2.bias`]: [d],
    'transformer.norm.weight': [d], 'transformer.norm.bias': [d], 'generator.weight': [7, d], 'generator.bias': [7],
  };
  return Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, zeros(s)]));
}

const doc = (tensors: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ format: 'transformer-lab/weights', version: 1, config: MODEL, tensors, ...rest });
const withTensor = (name: string, value: unknown) => doc({ ...goodTensors(), [name]: value });
const without = (...names: string[]) => doc(Object.fromEntries(Object.entries(goodTensors()).filter(([n]) => !names.includes(n))));

const RUN = { model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10 }, task: { name: 'copy', minLength: 1, maxLength: 4, symbols: 4 }, train: { batchSize: 8 } };

const CASES: [string, Kind, unknown][] = [
  ['a good file', 'weights', doc(goodTensors())],
  ['a good base64 tensor', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', base64: f32([1, 2, 3, 4, 5, 6, 7]) })],
  ['not an object', 'weights', [1, 2]],
  ['another format', 'weights', { ...doc(goodTensors()), format: 'onnx' }],
  ['no version', 'weights', { format: 'transformer-lab/weights', config: MODEL, tensors: {} }],
  ['version 2', 'weights', { ...doc(goodTensors()), version: 2 }],
  ['bad shape', 'weights', withTensor('generator.weight', zeros([4, 7]))],
  ['shape not integers', 'weights', withTensor('generator.bias', { shape: [7.5], dtype: 'float32', data: [] })],
  ['bad base64 length', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', base64: 'AAAAA' })],
  ['base64 outside the alphabet', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', base64: 'AA-A' })],
  ['base64 padding inside', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', base64: 'A=AA' })],
  ['base64 too short', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', base64: f32([1, 2]) })],
  ['base64 not float32', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', base64: 'AAAAAA==' })],
  ['base64 NaN', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', base64: f32([1, NaN, 3, 4, 5, 6, 7]) })],
  ['missing tensors', 'weights', without('generator.bias', 'transformer.norm.weight')],
  ['unknown tensor', 'weights', doc({ ...goodTensors(), 'decoder.extra': zeros([1]) })],
  ['wrong dtype', 'weights', withTensor('generator.bias', { ...zeros([7]), dtype: 'float16' })],
  ['no dtype', 'weights', withTensor('generator.bias', { shape: [7], data: [0, 0, 0, 0, 0, 0, 0] })],
  ['data and base64', 'weights', withTensor('generator.bias', { ...zeros([7]), base64: f32([0]) })],
  ['neither data nor base64', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32' })],
  ['null in data', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', data: [0, 0, null, 0, 0, 0, 0] })],
  ['data too short', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', data: [0] })],
  ['nested data', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', data: [[0], 0, 0, 0, 0, 0, 0] })],
  ['beyond float32', 'weights', withTensor('generator.bias', { shape: [7], dtype: 'float32', data: [1e39, 0, 0, 0, 0, 0, 0] })],
  ['tensor not an object', 'weights', withTensor('generator.bias', 'zeros')],
  ['tensors missing', 'weights', { format: 'transformer-lab/weights', version: 1, config: MODEL }],
  ['config errors', 'weights', { ...doc(goodTensors()), config: { ...MODEL, dModel: 5, activation: 'tanh', extra: 1 } }],
  ['model: several', 'model', { ...MODEL, dModel: 1, nHeads: 'x', dropout: 1, layerNormEps: 0 }],
  ['model: float and range', 'model', { ...MODEL, dModel: 15.5, dFF: -3, normFirst: 1 }],
  ['model: no layers', 'model', { ...MODEL, nEncoderLayers: 0 }],
  ['model: no source vocabulary', 'model', { ...MODEL, srcVocabSize: undefined }],
  ['model: not an object', 'model', 5],
  ['run: good', 'run', RUN],
  ['run: task', 'run', { ...RUN, task: { name: 'copy', minLength: 5, maxLength: 4 } }],
  ['run: task fields', 'run', { ...RUN, task: { name: 'sort', minLength: 0, symbols: 'x', extra: 1 } }],
  ['run: task name', 'run', { ...RUN, task: { name: 'nope' } }],
  ['run: optimizer', 'run', { ...RUN, train: { optimizer: { name: 'adam', lr: -1, betas: [1, 0.9] } } }],
  ['run: optimizer name', 'run', { ...RUN, train: { optimizer: { name: 'lion', lr: 1 } } }],
  ['run: nesterov', 'run', { ...RUN, train: { optimizer: { name: 'sgd', lr: 1, nesterov: true, weightDecay: -1 } } }],
  ['run: schedule', 'run', { ...RUN, train: { schedule: { name: 'cosine', warmupSteps: -1, foo: 2 } } }],
  ['run: train fields', 'run', { ...RUN, train: { precision: 'fp8', checkpointing: 'all', clipGradNorm: 0, lossScaler: { initScale: 0, x: 1 } } }],
  ['run: accumulation', 'run', { ...RUN, train: { batchSize: 10, gradAccumSteps: 3, steps: -1 } }],
  ['run: task fit', 'run', { ...RUN, model: { ...RUN.model, maxLen: 3, tgtVocabSize: 4 } }],
  ['run: unknown keys', 'run', { ...RUN, foo: 1 }],
  ['run: not an object', 'run', 'x'],
];

describe('the Python loader', () => {
  it('accepts what the lab accepts and refuses the rest with the lab\'s own lines', () => {
    const r = python('tests/pytorch/py/messages.py', [], CASES.map(([, kind, value]) => ({ kind, value })));
    expect(r.code, r.stderr).toBe(0);
    const fromPython = JSON.parse(r.stdout) as string[][];
    CASES.forEach(([name, kind, value], i) => expect(fromPython[i], name).toEqual(labLines(kind, value)));
    expect(fromPython.filter((lines) => lines.length > 0).length).toBe(CASES.length - 3);
  });
});
