import { taskDefinition, taskVocabulary } from './registry';
import { createRng } from './rng';
import { FIRST_SYMBOL, type ExampleTaskConfig, type ParsedInput } from './types';

export type { ParsedInput } from './types';

/** Typed text to input token ids (without EOS), or a message naming what is wrong with it. */
export function parseTaskInput(cfg: ExampleTaskConfig, text: string): ParsedInput {
  return taskDefinition(cfg).parseInput(cfg, text);
}

/**
 * Token ids as the text a user would type for them: with a one-character alphabet names run
 * together ("abc", "12+34"); when the alphabet has longer names (past z: "aa") or a special
 * token is shown ("<eos>"), they are separated by spaces so that the text reads back.
 */
export function formatTokens(cfg: ExampleTaskConfig, tokens: readonly number[]): string {
  const names = taskVocabulary(cfg).tokens;
  const shown = tokens.map((t) => names[t] ?? `<${t}>`);
  const oneCharacter = (n: string) => n.length === 1;
  return shown.join(names.slice(FIRST_SYMBOL).every(oneCharacter) && shown.every(oneCharacter) ? '' : ' ');
}

/** The answer the task expects for an input, e.g. the sorted symbols or the sum's digits. */
export function expectedAnswer(cfg: ExampleTaskConfig, input: readonly number[]): number[] {
  return taskDefinition(cfg).answer(cfg, [...input]);
}

/** An input the task's own sampler draws for this seed: the same seed gives the same input. */
export function sampleInput(cfg: ExampleTaskConfig, seed: number): number[] {
  return taskDefinition(cfg).sample(cfg, createRng(seed)).input;
}
