import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { onBackend } from '../../helpers/backends';

const CONFIG = fileURLToPath(new URL('../../../configs/reverse.json', import.meta.url));

// The shipped reverse config, as a user runs it: its own step budget (about two minutes on a
// 2-core machine on wasm). The assertion is on held-out accuracy, never on time.
it('the shipped reverse config reaches 95% exact match on held-out sequences (wasm)', async () => {
  await onBackend('wasm');
  const run = parseRunConfig(JSON.parse(readFileSync(CONFIG, 'utf8')));
  const trainer = Trainer.create(run);
  try {
    await trainer.train();
    expect(trainer.step).toBe(run.train.steps);
    const result = await trainer.evaluate();
    expect(trainer.validationSet.length).toBeGreaterThanOrEqual(200);
    expect(result.exactMatch).toBeGreaterThanOrEqual(0.95);
  } finally {
    trainer.dispose();
  }
}, 900_000);
