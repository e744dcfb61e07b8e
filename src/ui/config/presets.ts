/**
 * Starting points for the panel. The default is the shipped reverse config, the one the
 * engine's learning test trains to ≥ 95% held-out exact match in 400 steps: on a laptop GPU it
 * learns visibly within a minute. "Tiny" is for smoke tests on slow backends (software WebGPU).
 */
import addition from '../../../configs/addition.json';
import copy from '../../../configs/copy.json';
import reverse from '../../../configs/reverse.json';
import sort from '../../../configs/sort.json';
import seattleWeather from '../../../configs/forecast/seattle-weather.json';
import textBpe from '../../../configs/text/bpe.json';
import textChar from '../../../configs/text/char.json';
import textDiet from '../../../configs/text/diet.json';
import textLarge from '../../../configs/text/large.json';

export interface Preset {
  id: string;
  label: string;
  config: unknown;
}

export const TINY_CONFIG = {
  model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 8 },
  task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 4 },
  train: { batchSize: 16, steps: 40, seed: 0, optimizer: { name: 'adam', lr: 0.01 }, evalEvery: 10, validationSize: 32 },
};

export const PRESETS: readonly Preset[] = [
  { id: 'reverse', label: 'Reverse — encoder–decoder, 2+2 layers (default)', config: reverse },
  { id: 'copy', label: 'Copy — encoder–decoder, 2+2 layers', config: copy },
  { id: 'sort', label: 'Sort — encoder–decoder, GELU, AdamW', config: sort },
  { id: 'addition', label: 'Addition — decoder-only, 3 layers', config: addition },
  { id: 'tiny', label: 'Tiny — 1+1 layers, 40 steps (smoke test)', config: TINY_CONFIG },
  { id: 'forecast', label: 'Forecast — Seattle weather, 56 days → 28, iTransformer', config: seattleWeather },
  { id: 'text-char', label: 'Text, characters — Alice in Wonderland, 3 layers: words within a minute or two', config: textChar },
  { id: 'text-bpe', label: 'Text, byte-pair tokens — Emma, 1,024 tokens, 3 layers', config: textBpe },
  { id: 'text-large', label: 'Text, larger — 12M parameters, context 256: fits only with fp16, per-layer recompute and 8 micro-batches', config: textLarge },
  { id: 'text-diet', label: 'Text, memory diet — the characters preset with 16 micro-batches, per-layer recompute and fp16', config: textDiet },
];

export const DEFAULT_PRESET = PRESETS[0]!;
