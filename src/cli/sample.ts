import { architecture, type ModelConfig } from '../engine/config';
import type { SampleOptions } from '../engine/eval/sample';
import { sampleTokens } from '../engine/eval/sample';
import { createContext } from '../engine/model/context';
import { TransformerModel } from '../engine/model/model';
import { transformerConfig } from '../engine/modelKind';
import { ConfigError } from '../engine/validation';
import { parseWeights, type ParsedWeights } from '../engine/weights/format';
import { parseTokenizer, type Tokenizer } from '../tasks/text/tokenizer';
import { readJson } from './io';

export interface SampleFlags {
  weights: string;
  prompt: string;
  options: SampleOptions;
}

/**
 * How far back the model looks while sampling: the contextLength the file's run trained with
 * (`training.run.task`), else the model's maxLen.
 */
function samplingContext(weights: ParsedWeights, config: ModelConfig): number {
  const task = (weights.extra.training as { run?: { task?: { name?: unknown; contextLength?: unknown } } } | undefined)?.run?.task;
  const trained = task?.name === 'text' && typeof task.contextLength === 'number' ? task.contextLength : Infinity;
  return Math.min(trained, config.maxLen);
}

/**
 * The prompt's token ids; an empty prompt starts from a newline (or the tokenizer's first
 * character), which is not printed.
 */
function promptIds(tokenizer: Tokenizer, prompt: string): number[] {
  if (prompt !== '') return Array.from(tokenizer.encode(prompt, '--prompt'));
  const start = tokenizer.chars.includes('\n') ? '\n' : tokenizer.chars[0]!;
  return Array.from(tokenizer.encode(start, '--prompt'));
}

/**
 * `sample`: prints the prompt and its continuation by a text model, and nothing else, as the
 * tokens are read back from the device (once per chunk).
 */
export async function sample(flags: SampleFlags, write: (text: string) => void): Promise<void> {
  const weights = parseWeights(readJson(flags.weights, '--weights'));
  const config = transformerConfig(weights.config);
  const tokenizer = parseTokenizer(weights.extra.tokenizer, 'tokenizer', config.tgtVocabSize);
  if (architecture(config) !== 'decoder-only') {
    throw new ConfigError([{ path: 'config.nEncoderLayers', message: `sampling continues a text with a decoder-only model; this one is ${architecture(config)}` }]);
  }
  const { topK } = flags.options;
  if (topK !== null && topK > tokenizer.size - 3) {
    throw new ConfigError([{ path: '--top-k', message: `must be ≤ ${tokenizer.size - 3}, the tokens this tokenizer can draw (got ${topK})` }]);
  }
  const ids = promptIds(tokenizer, flags.prompt);
  const model = TransformerModel.fromValues(config, weights.tensors);
  try {
    write(flags.prompt);
    const ctx = createContext({ dropoutRate: 0, dropoutSeed: null });
    await sampleTokens(ctx, model.lookup, model.config, ids, samplingContext(weights, config), tokenizer.size, flags.options, (chunk) => {
      write(tokenizer.decode(chunk));
    });
  } finally {
    model.dispose();
  }
}
