import type { Rng } from './rng';
import type { CorpusName } from './text/corpora';

/** Special tokens shared by every task and the model (reference README, "Tokens"). */
export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
/** The first id a task may give its own symbols. */
export const FIRST_SYMBOL = 3;

/** One integer setting of a task, described well enough for the UI to draw a slider. */
export interface Knob {
  key: string;
  label: string;
  help: string;
  default: number;
  min: number;
  max: number;
}

/** One problem as token ids, without BOS/EOS: the batch layout adds those. */
export interface Example {
  input: number[];
  answer: number[];
}

/** What the try-it panel gets from a line of typed text. */
export type ParsedInput = { tokens: number[] } | { error: string };

/** Display names by id; `tokens[0..2]` are '<pad>', '<bos>', '<eos>'. */
export interface Vocabulary {
  size: number;
  tokens: string[];
}

export type BatchLayout = 'encoder-decoder' | 'decoder-only' | 'encoder-only';

/** The batch JSON of the reference README: each field's rows are padded to one length. */
export interface Batch {
  src?: number[][];
  tgtIn?: number[][];
  tgtOut: number[][];
}

export type SequenceTaskName = 'copy' | 'reverse' | 'sort';

export interface SequenceConfig<N extends SequenceTaskName = SequenceTaskName> {
  name: N;
  minLength: number;
  maxLength: number;
  symbols: number;
}

export interface AdditionConfig {
  name: 'addition';
  maxDigits: number;
}

export type TokenizerKind = 'char' | 'bpe';

/** The `text` task (reference README, "Tasks"): language modelling on a text (src/tasks/text/). */
export interface TextTaskConfig {
  name: 'text';
  file?: string;
  corpus?: CorpusName;
  tokenizer: TokenizerKind;
  /** Every id of the bpe tokenizer, specials included; ignored by the char tokenizer. */
  vocabSize: number;
  /** T: a training row is T + 1 consecutive tokens. */
  contextLength: number;
}

/** Tasks that draw problems with one right answer each (copy, reverse, sort, addition). */
export type ExampleTaskConfig = SequenceConfig<'copy'> | SequenceConfig<'reverse'> | SequenceConfig<'sort'> | AdditionConfig;
export type ExampleTaskName = ExampleTaskConfig['name'];
export type TaskConfig = ExampleTaskConfig | TextTaskConfig;
export type TaskName = TaskConfig['name'];

/** What the page shows of any task: its description and its numeric knobs. */
export interface TaskInfo {
  description: string;
  /** The config's numeric fields, with their bounds and defaults. */
  knobs: Knob[];
}

export interface TaskDefinition<C extends { name: ExampleTaskName } = ExampleTaskConfig> extends TaskInfo {
  name: C['name'];
  vocabulary(cfg: C): Vocabulary;
  sample(cfg: C, rng: Rng): Example;
  /** The correct answer to an input (one `sample` could draw, or one `parseInput` accepted). */
  answer(cfg: C, input: number[]): number[];
  /** Typed text to input tokens, or a message that names what is wrong with it. */
  parseInput(cfg: C, text: string): ParsedInput;
  /** How many distinct inputs exist (may be Infinity); sizes the validation set. */
  exampleSpace(cfg: C): number;
  /** The longest input and the longest answer `sample` can produce. */
  longest(cfg: C): { input: number; answer: number };
}

/** The special tokens' display names, to which a task appends its own. */
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>'];
