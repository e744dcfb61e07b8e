/**
 * The `text` task (reference README, "Tasks"): language modelling on a text for a decoder-only
 * model. Its config names the text, the tokenizer and the context length; its vocabulary follows
 * from the text (every character, plus merges up to vocabSize for bpe).
 */
import { z } from 'zod';
import { ConfigError, type FieldIssue } from '../../engine/validation';
import { FIRST_SYMBOL, SPECIAL_TOKENS, type Knob, type TextTaskConfig, type TokenizerKind, type Vocabulary } from '../types';
import { CORPUS_NAMES } from './corpora';
import { sourceField, textFacts, type TextFacts } from './source';

export type { TextTaskConfig } from '../types';

export const TEXT_TOKENIZERS = ['char', 'bpe'] as const satisfies readonly TokenizerKind[];

export const TEXT_KNOBS: Knob[] = [
  { key: 'contextLength', label: 'Context length (tokens)', help: 'Tokens the model sees at once; a training row is this many plus one.', default: 64, min: 1, max: 4096 },
  { key: 'vocabSize', label: 'Vocabulary size (bpe)', help: 'Every token id, specials included: the characters plus merges learned on the training part.', default: 512, min: FIRST_SYMBOL + 1, max: 32768 },
];

const knob = (key: string) => TEXT_KNOBS.find((k) => k.key === key)!;
const knobSchema = (key: string) => z.number().int().min(knob(key).min).max(knob(key).max).default(knob(key).default);

export const textTaskSchema = z
  .object({
    name: z.literal('text'),
    file: z.string().min(1).optional(),
    corpus: z.enum(CORPUS_NAMES).optional(),
    tokenizer: z.enum(TEXT_TOKENIZERS).default('char'),
    vocabSize: knobSchema('vocabSize'),
    contextLength: knobSchema('contextLength'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.file === undefined && c.corpus === undefined) {
      ctx.addIssue({ code: 'custom', path: ['corpus'], message: `name the text: "corpus" (one the lab ships: ${CORPUS_NAMES.join(', ')}) or "file" (a UTF-8 text file)` });
    }
    if (c.file !== undefined && c.corpus !== undefined) ctx.addIssue({ code: 'custom', path: ['file'], message: 'give "file" or "corpus", not both' });
  });

export const TEXT_DESCRIPTION = 'Language modelling: a decoder-only model learns to continue a text, character by character (char) or in byte-pair tokens (bpe).';

/** The first floor(0.9·n) of n tokens train, the rest validate (reference README). */
export const trainTokenCount = (n: number) => Math.floor(0.9 * n);

/**
 * The problem when n tokens are too few for one window of T + 1 tokens in each part, or undefined.
 * `unit` names what was counted (characters bound the token count from above).
 */
export function windowShortage(n: number, contextLength: number, unit = 'tokens'): string | undefined {
  const train = trainTokenCount(n);
  const need = contextLength + 1;
  const part = train < need ? `training part has ${train}` : n - train < need ? `validation part has ${n - train}` : undefined;
  return part && `the text is too short for contextLength ${contextLength}: its ${part} ${unit}, one window needs ${need} tokens (use a longer text or a shorter context)`;
}

/** What the text's facts decide: a bpe vocabulary that holds every character, and enough text for a window per part. */
function factIssues(cfg: TextTaskConfig, facts: TextFacts): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const base = FIRST_SYMBOL + facts.characters.length;
  if (cfg.tokenizer === 'bpe' && cfg.vocabSize < base) {
    issues.push({ path: 'task.vocabSize', message: `vocabSize ${cfg.vocabSize} is smaller than the text's ${facts.characters.length} characters plus the ${FIRST_SYMBOL} special tokens (${base})` });
  }
  // Characters bound the token count from above: exact for char, a first check for bpe.
  const short = windowShortage(facts.length, cfg.contextLength, cfg.tokenizer === 'char' ? 'tokens' : 'characters');
  if (short) issues.push({ path: sourceField(cfg), message: short });
  return issues;
}

/**
 * The vocabulary of a text task: the special tokens and every character of the text, and for bpe
 * vocabSize ids in all (the merged tokens are named once learned, by the tokenizer). Throws a
 * ConfigError when the text is not loaded or does not fit the config.
 */
export function textVocabulary(cfg: TextTaskConfig): Vocabulary {
  const facts = textFacts(cfg);
  if (!facts) {
    throw new ConfigError([{ path: sourceField(cfg), message: `the text ${JSON.stringify(cfg.file)} is not loaded: choose or drop the file again` }]);
  }
  const issues = factIssues(cfg, facts);
  if (issues.length) throw new ConfigError(issues);
  const tokens = [...SPECIAL_TOKENS, ...facts.characters];
  return { size: cfg.tokenizer === 'char' ? tokens.length : cfg.vocabSize, tokens };
}
