import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseModelConfig, type ModelConfig } from '../../../src/engine/config';
import { paramSpecs } from '../../../src/engine/params';
import { encodeFloat32Base64 } from '../../../src/engine/weights/base64';
import {
  exportWeights,
  parseWeights,
  parseWeightsText,
  tensorFromJson,
  tensorToJson,
  type NamedTensor,
} from '../../../src/engine/weights/format';
import { stringifyWeights } from '../../../src/engine/weights/stringify';
import { thrown } from '../../helpers/errors';
import { transformerConfig } from '../../../src/engine/modelKind';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/weights/${name}`, import.meta.url));
const readText = (name: string) => readFileSync(fixture(name), 'utf8');
const readJson = (name: string): Record<string, unknown> => JSON.parse(readText(name)) as Record<string, unknown>;

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** The plain (data) fixture, parsed fresh each time so tests can mutate it. */
type Doc = { format?: unknown; version?: unknown; config: Record<string, unknown>; tensors: Record<string, Record<string, unknown>>; [k: string]: unknown };
const plainDoc = () => readJson('torch-init.json') as Doc;

const expectRefusal = (raw: unknown, message: string) => expect(thrown(() => parseWeights(raw)).message).toBe(message);

function sameTensors(a: Map<string, NamedTensor>, b: Map<string, NamedTensor>) {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, t] of a) {
    const u = b.get(name)!;
    expect(u.shape, name).toEqual(t.shape);
    expect(bits(u.values), name).toEqual(bits(t.values));
  }
}

const GB = 'tensors["generator.bias"]';

/** Values that must survive every round trip bit for bit. */
const SPECIAL = [
  -0, Math.fround(1e-45), -Math.fround(1e-45), Math.fround(3.4e38), -Math.fround(3.4e38),
  3.4028234663852886e38, 1.1754942106924411e-38, 1.1754943508222875e-38, Math.fround(0.1),
];

describe('fixtures written by torch_reference.py', () => {
  it('parse the data and base64 files to identical tensors', () => {
    const plain = parseWeightsText(readText('torch-init.json'));
    const b64 = parseWeightsText(readText('torch-init-base64.json'));
    sameTensors(plain.tensors, b64.tensors);
    expect(b64.config).toEqual(plain.config);
    expect(plain.extra).toEqual({});
  });

  it('carry the raw model config, which parses with its defaults', () => {
    const { config } = parseWeights(plainDoc());
    expect(config).toEqual(parseModelConfig(readJson('model.json')));
    expect(config.layerNormEps).toBe(1e-5);
  });

  it('hold the values Python wrote, exactly', () => {
    const doc = plainDoc();
    const { tensors } = parseWeights(doc);
    for (const [name, t] of tensors) {
      const data = doc.tensors[name]!.data as number[];
      expect(Array.from(t.values), name).toEqual(data);
    }
  });

  for (const [file, model] of [
    ['torch-init.json', 'model.json'],
    ['torch-init-base64.json', 'model.json'],
    ['torch-init-decoder-only.json', 'model-decoder-only.json'],
    ['torch-init-encoder-only.json', 'model-encoder-only.json'],
  ] as const) {
    it(`${file}: every name and shape equals paramSpecs, in state_dict order`, () => {
      const cfg = parseModelConfig(readJson(model));
      const specs = paramSpecs(cfg).map((s) => [s.name, s.shape]);
      const raw = readJson(file) as Doc;
      expect(Object.entries(raw.tensors).map(([n, t]) => [n, t.shape])).toEqual(specs);
      const { tensors } = parseWeights(raw);
      expect([...tensors].map(([n, t]) => [n, t.shape])).toEqual(specs);
    });
  }
});

/** The fixture's tensors with the special values written into generator.bias (9 values). */
function specialTensors(): { config: ModelConfig; tensors: Map<string, NamedTensor> } {
  const { config, tensors } = parseWeights(plainDoc());
  tensors.get('generator.bias')!.values.set(SPECIAL);
  return { config: transformerConfig(config), tensors };
}

describe('exportWeights', () => {
  it('writes format, version, config, tensors (paramSpecs order), then extra', () => {
    const { config, tensors } = specialTensors();
    const doc = exportWeights(config, tensors, { encoding: 'data', extra: { optimizer: { step: 3 } } });
    expect(Object.keys(doc)).toEqual(['format', 'version', 'config', 'tensors', 'optimizer']);
    expect(doc.format).toBe('transformer-lab/weights');
    expect(doc.version).toBe(1);
    expect(doc.config).toEqual(config);
    expect(Object.keys(doc.tensors)).toEqual(paramSpecs(config).map((s) => s.name));
    expect(doc.tensors['generator.bias']).toEqual({ shape: [9], dtype: 'float32', data: SPECIAL });
    expect(doc.optimizer).toEqual({ step: 3 });
  });

  it('orders tensors by paramSpecs whatever the order of the map', () => {
    const { config, tensors } = specialTensors();
    const reversed = new Map([...tensors].reverse());
    const doc = exportWeights(config, reversed, { encoding: 'base64' });
    expect(Object.keys(doc.tensors)).toEqual(paramSpecs(config).map((s) => s.name));
  });

  it('base64: export -> JSON.stringify -> parse is bit-identical, special values included', () => {
    const { config, tensors } = specialTensors();
    const doc = exportWeights(config, tensors, { encoding: 'base64' });
    expect(doc.tensors['generator.bias']).toEqual({ shape: [9], dtype: 'float32', base64: encodeFloat32Base64(new Float32Array(SPECIAL)) });
    const back = parseWeightsText(JSON.stringify(doc));
    sameTensors(back.tensors, tensors);
    expect(back.config).toEqual(config);
    expect(Object.is(back.tensors.get('generator.bias')!.values[0], -0)).toBe(true);
  });

  it('data: export -> stringifyWeights -> parse is bit-identical, -0 (written -0.0) included', () => {
    const { config, tensors } = specialTensors();
    const doc = exportWeights(config, tensors, { encoding: 'data' });
    const text = stringifyWeights(doc);
    expect(text).toContain('"generator.bias":{"shape":[9],"dtype":"float32","data":[-0.0,1.401298464324817e-45,');
    sameTensors(parseWeightsText(text).tensors, tensors);
  });

  it('data: export -> JSON.stringify -> parse is bit-identical except that JSON.stringify writes -0 as 0', () => {
    const { config, tensors } = specialTensors();
    const back = parseWeightsText(JSON.stringify(exportWeights(config, tensors, { encoding: 'data' }))).tensors;
    const bias = back.get('generator.bias')!.values;
    expect(Object.is(bias[0], 0)).toBe(true);
    bias[0] = -0;
    sameTensors(back, tensors);
  });

  it('stringifyWeights writes the same text as JSON.stringify when there is no -0', () => {
    const { config, tensors } = parseWeights(plainDoc());
    const doc = exportWeights(config, tensors, { encoding: 'data', extra: { meta: { note: 'a "quoted" \u2028 text', skip: undefined, list: [1, undefined, null, true] } } });
    expect(stringifyWeights(doc)).toBe(JSON.stringify(doc));
  });

  it('keeps extra keys through a round trip', () => {
    const { config, tensors } = parseWeights(plainDoc());
    const extra = { optimizer: { name: 'adam', step: 2 }, lossScale: 1024 };
    const back = parseWeightsText(JSON.stringify(exportWeights(config, tensors, { encoding: 'base64', extra })));
    expect(back.extra).toEqual(extra);
  });

  it('refuses non-finite values, naming the tensor', () => {
    const { config, tensors } = parseWeights(plainDoc());
    tensors.get('transformer.decoder.norm.bias')!.values[5] = NaN;
    expect(thrown(() => exportWeights(config, tensors, { encoding: 'data' })).message).toBe(
      'tensors["transformer.decoder.norm.bias"]: cannot export the non-finite value NaN at index 5: JSON has no NaN or Infinity',
    );
    tensors.get('transformer.decoder.norm.bias')!.values[5] = 0;
    tensors.get('generator.weight')!.values[0] = -Infinity;
    expect(thrown(() => exportWeights(config, tensors, { encoding: 'base64' })).message).toBe(
      'tensors["generator.weight"]: cannot export the non-finite value -Infinity at index 0: JSON has no NaN or Infinity',
    );
  });

  it('refuses missing, unexpected and misshapen tensors and reserved extra keys', () => {
    const { config, tensors } = parseWeights(plainDoc());
    tensors.delete('generator.bias');
    tensors.set('foo', { shape: [1], values: new Float32Array(1) });
    tensors.set('generator.weight', { shape: [7, 8], values: new Float32Array(56) });
    expect(thrown(() => exportWeights(config, tensors, { encoding: 'data', extra: { config: {} } })).message).toBe([
      'tensors: missing 1 tensor the config needs: "generator.bias"',
      'tensors: 1 unexpected tensor the config does not have: "foo"',
      'tensors["generator.weight"].shape: [7, 8] does not match the config\'s [9, 8]',
      'extra: may not set the reserved key "config"',
    ].join('\n'));
  });

  it('refuses a tensor whose values do not fill its shape', () => {
    expect(thrown(() => tensorToJson('x', { shape: [2, 3], values: new Float32Array(5) }, 'data')).message).toBe(
      'tensors["x"]: has 5 values, the shape [2, 3] needs 6',
    );
  });
});

describe('tensorFromJson / tensorToJson', () => {
  it('round-trip a single tensor (the forward output\'s TENSOR)', () => {
    const t = { shape: [2, 2], values: new Float32Array([1, -0, 2.5, Math.fround(1e-45)]) };
    for (const enc of ['data', 'base64'] as const) {
      const back = tensorFromJson(JSON.parse(stringifyWeights(tensorToJson('logits', t, enc))), 'logits');
      expect(back.shape).toEqual([2, 2]);
      expect(bits(back.values)).toEqual(bits(t.values));
    }
  });

  it('name the path given', () => {
    expect(thrown(() => tensorFromJson({ shape: [2], dtype: 'float32', data: [1] }, 'logits')).message).toBe(
      'logits.data: has 1 value, the shape [2] needs 2',
    );
  });
});

describe('parseWeights refusals', () => {
  it('not an object', () => {
    expectRefusal([], 'a weights file must be a JSON object (got an array)');
    expectRefusal(null, 'a weights file must be a JSON object (got null)');
    expectRefusal('weights', 'a weights file must be a JSON object (got "weights")');
  });

  it('wrong or missing format', () => {
    const doc = plainDoc();
    doc.format = 'transformer-lab/checkpoint';
    expectRefusal(doc, 'format: must be "transformer-lab/weights" (got "transformer-lab/checkpoint"): this is not a transformer-lab weights file');
    delete doc.format;
    expectRefusal(doc, 'format: is required ("transformer-lab/weights"): this is not a transformer-lab weights file');
  });

  it('wrong or missing version', () => {
    const doc = plainDoc();
    doc.version = 2;
    expectRefusal(doc, 'version: must be 1 (got 2): this reader knows version 1 only');
    doc.version = '1';
    expectRefusal(doc, 'version: must be 1 (got "1"): this reader knows version 1 only');
    delete doc.version;
    expectRefusal(doc, 'version: is required (1)');
  });

  it('a config that fails parseModelConfig, with paths under config.', () => {
    const doc = plainDoc();
    doc.config.nHeads = 3;
    expectRefusal(doc, 'config.dModel: dModel 8 is not divisible by nHeads 3');
    doc.config.nHeads = 2;
    doc.config.activation = 'tanh';
    expectRefusal(doc, 'config.activation: must be one of "relu", "gelu" (got "tanh")');
    delete doc.config.activation;
    doc.config.bogus = 1;
    expectRefusal(doc, 'config: unknown field "bogus"');
    delete (doc as Record<string, unknown>).config;
    expectRefusal(doc, 'config: is required (object)');
  });

  it('tensors not an object', () => {
    const doc = plainDoc() as Record<string, unknown>;
    doc.tensors = [];
    expectRefusal(doc, 'tensors: must be an object mapping parameter names to tensors (got [])');
    delete doc.tensors;
    expectRefusal(doc, 'tensors: is required (an object mapping parameter names to tensors)');
  });

  it('missing tensors, named', () => {
    const doc = plainDoc();
    delete doc.tensors['generator.bias'];
    expectRefusal(doc, 'tensors: missing 1 tensor the config needs: "generator.bias"');
  });

  it('many missing tensors: a few named, then "and N more"', () => {
    const doc = plainDoc();
    const names = Object.keys(doc.tensors).filter((n) => n.startsWith('transformer.decoder.layers.0.'));
    expect(names.length).toBe(18);
    for (const n of names) delete doc.tensors[n];
    expectRefusal(doc, 'tensors: missing 18 tensors the config needs: ' +
      '"transformer.decoder.layers.0.self_attn.in_proj_weight", "transformer.decoder.layers.0.self_attn.in_proj_bias", ' +
      '"transformer.decoder.layers.0.self_attn.out_proj.weight", "transformer.decoder.layers.0.self_attn.out_proj.bias", ' +
      '"transformer.decoder.layers.0.multihead_attn.in_proj_weight" and 13 more');
  });

  it('unexpected tensors, named', () => {
    const doc = plainDoc();
    doc.tensors['generator.scale'] = { shape: [1], dtype: 'float32', data: [1] };
    expectRefusal(doc, 'tensors: 1 unexpected tensor the config does not have: "generator.scale"');
  });

  it('learned-position tensors under a sinusoidal config', () => {
    const doc = plainDoc();
    doc.config.positional = 'sinusoidal';
    expectRefusal(doc, 'tensors: 2 unexpected tensors the config does not have: "src_pos.weight", "tgt_pos.weight"');
  });

  it('a shape that does not match the config', () => {
    const doc = plainDoc();
    const g = doc.tensors['generator.weight']!;
    g.shape = [7, 8];
    g.data = (g.data as number[]).slice(0, 56);
    expectRefusal(doc, 'tensors["generator.weight"].shape: [7, 8] does not match the config\'s [9, 8]');
  });

  it('a shape that is not an array of non-negative integers', () => {
    const doc = plainDoc();
    doc.tensors['generator.bias']!.shape = '9';
    expectRefusal(doc, `${GB}.shape: must be an array of non-negative integers (got "9")`);
    doc.tensors['generator.bias']!.shape = [9.5];
    expectRefusal(doc, `${GB}.shape: must be an array of non-negative integers (got [9.5])`);
    delete doc.tensors['generator.bias']!.shape;
    expectRefusal(doc, `${GB}.shape: is required (an array of non-negative integers)`);
  });

  it('a tensor that is not an object', () => {
    const doc = plainDoc() as { tensors: Record<string, unknown> };
    doc.tensors['generator.bias'] = [1, 2];
    expectRefusal(doc, `${GB}: must be an object {shape, dtype, data | base64} (got [1,2])`);
  });

  it('a dtype other than float32', () => {
    const doc = plainDoc();
    doc.tensors['generator.bias']!.dtype = 'float16';
    expectRefusal(doc, `${GB}.dtype: must be "float32" (got "float16")`);
    delete doc.tensors['generator.bias']!.dtype;
    expectRefusal(doc, `${GB}.dtype: is required ("float32")`);
  });

  it('both data and base64', () => {
    const doc = plainDoc();
    doc.tensors['generator.bias']!.base64 = encodeFloat32Base64(new Float32Array(9));
    expectRefusal(doc, `${GB}: has both "data" and "base64"; a tensor carries exactly one of them`);
  });

  it('neither data nor base64', () => {
    const doc = plainDoc();
    delete doc.tensors['generator.bias']!.data;
    expectRefusal(doc, `${GB}: has neither "data" nor "base64"; a tensor carries exactly one of them`);
  });

  it('the wrong number of values (data)', () => {
    const doc = plainDoc();
    doc.tensors['generator.bias']!.data = [1, 2, 3, 4, 5, 6, 7, 8];
    expectRefusal(doc, `${GB}.data: has 8 values, the shape [9] needs 9`);
  });

  it('the wrong number of values (base64)', () => {
    const doc = plainDoc();
    delete doc.tensors['generator.bias']!.data;
    doc.tensors['generator.bias']!.base64 = encodeFloat32Base64(new Float32Array(10));
    expectRefusal(doc, `${GB}.base64: decodes to 10 values, the shape [9] needs 9`);
  });

  it('data that is not a flat array of numbers', () => {
    const doc = plainDoc();
    const bias = doc.tensors['generator.bias']!;
    bias.data = 'AAAA';
    expectRefusal(doc, `${GB}.data: must be a flat array of numbers (got "AAAA")`);
    bias.data = [0, 0, 0, '0.5', 0, 0, 0, 0, 0];
    expectRefusal(doc, `${GB}.data[3]: must be a number (got "0.5")`);
    bias.data = [0, 0, null, 0, 0, 0, 0, 0, 0];
    expectRefusal(doc, `${GB}.data[2]: must be a number (got null) (JSON.stringify writes NaN and Infinity as null)`);
    const w = doc.tensors['generator.weight']!;
    bias.data = Array(9).fill(0);
    w.data = Array.from({ length: 9 }, () => Array(8).fill(0));
    expectRefusal(doc, 'tensors["generator.weight"].data: has 9 values, the shape [9, 8] needs 72');
  });

  it('non-finite values in data', () => {
    const doc = plainDoc();
    const data = doc.tensors['generator.bias']!.data as number[];
    data[4] = NaN;
    expectRefusal(doc, `${GB}.data[4]: value NaN is not finite`);
    data[4] = -Infinity;
    expectRefusal(doc, `${GB}.data[4]: value -Infinity is not finite`);
    data[4] = 1e39;
    expectRefusal(doc, `${GB}.data[4]: value 1e+39 is outside the float32 range`);
  });

  it('non-finite values decoded from base64', () => {
    const doc = plainDoc();
    delete doc.tensors['generator.bias']!.data;
    doc.tensors['generator.bias']!.base64 = encodeFloat32Base64(new Float32Array([0, 0, 0, 0, 0, 0, Infinity, 0, NaN]));
    expectRefusal(doc, `${GB}.base64: value Infinity at index 6 is not finite`);
  });

  it('bad base64', () => {
    const doc = plainDoc();
    const bias = doc.tensors['generator.bias']!;
    delete bias.data;
    const good = encodeFloat32Base64(new Float32Array(9));
    bias.base64 = `${good.slice(0, 10)}*${good.slice(11)}`;
    expectRefusal(doc, `${GB}.base64: invalid base64: character "*" at position 10 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)`);
    bias.base64 = good.slice(0, -1);
    expectRefusal(doc, `${GB}.base64: invalid base64: length 47 is not a multiple of 4 (base64 text is written in padded groups of 4 characters)`);
    bias.base64 = 'AAAAAAA=';
    expectRefusal(doc, `${GB}.base64: invalid float32 data: decodes to 5 bytes, which is not a multiple of 4`);
  });

  it('reports several problems at once, one line each', () => {
    const doc = plainDoc();
    delete doc.tensors['src_embed.weight'];
    doc.tensors['generator.bias']!.dtype = 'float64';
    doc.tensors['generator.weight']!.shape = [8, 9];
    expectRefusal(doc, [
      'tensors: missing 1 tensor the config needs: "src_embed.weight"',
      'tensors["generator.weight"].shape: [8, 9] does not match the config\'s [9, 8]',
      `${GB}.dtype: must be "float32" (got "float64")`,
    ].join('\n'));
  });

  it('lists each issue with its path', () => {
    const doc = plainDoc();
    doc.tensors['generator.bias']!.dtype = 'int32';
    expect(thrown(() => parseWeights(doc)).issues).toEqual([{ path: `${GB}.dtype`, message: 'must be "float32" (got "int32")' }]);
  });

  it('ignores unknown keys inside a tensor and keeps unknown top-level keys as extra', () => {
    const doc = plainDoc();
    doc.tensors['generator.bias']!.requiresGrad = true;
    doc.optimizer = { name: 'sgd', state: {} };
    doc.step = 12;
    const { extra } = parseWeights(doc);
    expect(extra).toEqual({ optimizer: { name: 'sgd', state: {} }, step: 12 });
  });

  it('accepts data values that are not float32 numbers by rounding them to float32', () => {
    const doc = plainDoc();
    doc.tensors['generator.bias']!.data = [0.1, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(parseWeights(doc).tensors.get('generator.bias')!.values[0]).toBe(Math.fround(0.1));
  });
});

describe('parseWeightsText', () => {
  it('says when the text is not JSON', () => {
    expect(thrown(() => parseWeightsText('{"format": ')).message).toBe('weights file is not valid JSON: Unexpected end of JSON input');
    // Python's json.dump writes NaN for a NaN weight, which is not JSON.
    expect(thrown(() => parseWeightsText('{"x": NaN}')).message).toMatch(/^weights file is not valid JSON: Unexpected token/);
  });
});

// PyTorch loads what the lab writes. `.ci/run` installs Debian's python3-torch for this.
const PYTHON = '/usr/bin/python3';
const REFERENCE = fileURLToPath(new URL('../../../../shared/reference/torch_reference.py', import.meta.url));

describe('torch_reference.py reads exported files', () => {
  it('has PyTorch and the reference script (apt-get install python3-torch; ../shared/reference)', () => {
    expect(spawnSync(PYTHON, ['-c', 'import torch, numpy'], { timeout: 60_000 }).status).toBe(0);
    expect(existsSync(REFERENCE)).toBe(true);
  });

  for (const encoding of ['data', 'base64'] as const) {
    it(`${encoding}: load_weights then save_weights gives back the same bits`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'weights-'));
      try {
        const { config, tensors } = specialTensors();
        writeFileSync(join(dir, 'in.json'), stringifyWeights(exportWeights(config, tensors, { encoding, extra: { note: 'extra keys are ignored' } })));
        const script = [
          'import sys, importlib.util',
          `spec = importlib.util.spec_from_file_location("ref", ${JSON.stringify(REFERENCE)})`,
          'ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)',
          'm = ref.load_weights(sys.argv[1])',
          'ref.save_weights(m, sys.argv[2], plain=True)',
        ].join('\n');
        const run = spawnSync(PYTHON, ['-c', script, join(dir, 'in.json'), join(dir, 'out.json')], { encoding: 'utf8', timeout: 120_000 });
        expect(run.status, run.stderr).toBe(0);
        const back = parseWeightsText(readFileSync(join(dir, 'out.json'), 'utf8'));
        sameTensors(back.tensors, tensors);
        expect(Object.is(back.tensors.get('generator.bias')!.values[0], -0)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
