import { describe, expect, it } from 'vitest';
import { LossScaler } from '../../../src/engine/precision/lossScaler';
import { ConfigError } from '../../../src/engine/validation';

const DEFAULTS = { initScale: 65536, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000 };

describe('LossScaler follows PyTorch GradScaler (torch._amp_update_scale_)', () => {
  it('backs off on an overflow, restarts the count, and grows after growthInterval clean steps', () => {
    const scaler = new LossScaler({ ...DEFAULTS, growthInterval: 3 });
    // Overflow injected at steps 1 and 2; the sequence below is GradScaler's for the same flags:
    // scale *= 0.5 and tracker = 0 on inf; tracker + 1 otherwise, and on reaching 3, scale *= 2, tracker = 0.
    const flags = [false, true, true, false, false, false, false, false, true, false];
    const seen = flags.map((inf) => {
      scaler.update(inf);
      return [scaler.scale, scaler.growthTracker];
    });
    expect(seen).toEqual([
      [65536, 1],
      [32768, 0],
      [16384, 0],
      [16384, 1],
      [16384, 2],
      [32768, 0],
      [32768, 1],
      [32768, 2],
      [16384, 0],
      [16384, 1],
    ]);
  });

  it('does not grow past float32 range, and keeps its scale a float32 value', () => {
    const scaler = new LossScaler({ ...DEFAULTS, initScale: 3e38, growthInterval: 1 });
    expect(scaler.scale).toBe(Math.fround(3e38));
    scaler.update(false);
    expect(scaler.scale).toBe(Math.fround(3e38));
    expect(scaler.growthTracker).toBe(0);
    expect(scaler.inverseScale).toBe(Math.fround(1 / Math.fround(3e38)));
  });

  it('saves and restores its state; a bad state is refused and changes nothing', () => {
    const a = new LossScaler(DEFAULTS);
    a.update(true);
    a.update(false);
    const b = new LossScaler(DEFAULTS);
    b.load(a.state());
    expect(b.state()).toEqual({ scale: 32768, growthTracker: 1 });
    expect(() => b.load({ scale: -1, growthTracker: 2000 })).toThrow(ConfigError);
    try {
      b.load({ scale: -1, growthTracker: 2000 });
    } catch (e) {
      expect((e as Error).message).toBe(
        'lossScalerState.scale: must be a finite number > 0 (got -1)\nlossScalerState.growthTracker: must be a whole number in [0, 2000) (got 2000)',
      );
    }
    expect(b.state()).toEqual({ scale: 32768, growthTracker: 1 });
  });
});
