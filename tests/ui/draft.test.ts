import { describe, expect, it } from 'vitest';
import { parseLabRunConfig, parseRunConfig } from '../../src/engine/runConfig';
import { uiSeries } from '../../src/ui/forecast/files';
import { change, draftFrom, numberOf, toRaw, validate } from '../../src/ui/config/draft';
import { PRESETS } from '../../src/ui/config/presets';

describe('config draft', () => {
  for (const preset of PRESETS) {
    it(`round-trips the ${preset.id} preset and its normalised form`, () => {
      const run = parseLabRunConfig(preset.config, uiSeries);
      expect(validate(draftFrom(preset.config)).run).toEqual(run);
      expect(validate(draftFrom(run)).run).toEqual(run); // an imported run's config fills the panel
    });
  }

  it('round-trips the settings that need special fields', () => {
    const raw = {
      model: { dModel: 8, nHeads: 2, nDecoderLayers: 2, dFF: 16, maxLen: 16, normFirst: false },
      task: { name: 'copy', maxLength: 5 },
      train: {
        checkpointing: 2, precision: 'fp16', clipGradNorm: 0.5, lossScaler: { enabled: false, initScale: 1024 },
        optimizer: { name: 'rmsprop', lr: 0.01, centered: true }, schedule: { name: 'cosine', totalSteps: 50, warmupSteps: 5 },
      },
    };
    expect(validate(draftFrom(raw)).run).toEqual(parseRunConfig(raw));
  });

  it('leaves blank fields to the engine and sends text as text', () => {
    const d = change(change(draftFrom(PRESETS[0]!.config), 'train.batchSize', ''), 'train.seed', ' 1e1 ');
    const raw = toRaw(d);
    expect('batchSize' in raw.train).toBe(false);
    expect(raw.train.seed).toBe(10);
    expect(numberOf('0x10')).toBe('0x10');
    expect(numberOf('.5')).toBe(0.5);
    expect(toRaw(change(d, 'train.clipGradNorm', '')).train.clipGradNorm).toBeNull();
  });

  it('files every engine message under its field, and the rest as general', () => {
    let d = draftFrom(PRESETS[0]!.config);
    d = change(d, 'train.optimizer.betas', '0.9, 2');
    d = change(d, 'train.checkpointing', 'every n layers');
    d = change(d, 'train.checkpointingEvery', '0');
    const v = validate(d);
    expect(v.run).toBeUndefined();
    expect(v.byField.get('train.optimizer.betas')).toEqual(['must be < 1 (got 2)']);
    expect(v.byField.get('train.checkpointingEvery')?.[0]).toMatch(/not a valid choice|must be/);
    expect(v.general).toEqual([]);
  });
});
