/**
 * What the page sends for its tasks' data, kept in the worker for the session: CSV files by name
 * (a forecast task's `csv`, read through `series`), dropped texts (a text task's `file`, decoded
 * and checked in worker/text.ts), and the last text tokenized, for the next run on the same text.
 */
import type { TextData } from '../tasks/text/data';
import { prepareTextData } from '../tasks/text/data';
import type { SeriesSource } from '../tasks/forecast/task';
import { requireText, sourceKey } from '../tasks/text/source';
import type { SeriesFiles } from './protocol';
import type { PreparedRun } from './runs';
import { pageSeries } from './series';

export class TaskInputs {
  private readonly files = new Map<string, string>();
  /** Where forecast configs read their series: the CSV files sent, or a shipped series. */
  readonly series: SeriesSource = pageSeries(this.files);
  /** The last text tokenized with a tokenizer of its own, for the next run on the same text (a grid's). */
  private lastText?: { key: string; data: TextData };

  addFiles(files: SeriesFiles | undefined): void {
    for (const [name, text] of Object.entries(files ?? {})) this.files.set(name, text);
  }

  /** A text run's tokenized text (bpe merges learned with progress), or undefined for other tasks; a text too short for its windows throws. */
  tokenize(prepared: PreparedRun, onProgress: (done: number, total: number) => void): TextData | undefined {
    const task = prepared.run.task;
    if (task.name !== 'text') return undefined;
    const tokenizer = prepared.options.tokenizer;
    const key = JSON.stringify([sourceKey(task), task.tokenizer, task.tokenizer === 'bpe' ? task.vocabSize : 0, task.contextLength]);
    if (!tokenizer && this.lastText?.key === key) return this.lastText.data;
    const data = prepareTextData(task, requireText(task), { tokenizer, onProgress });
    if (!tokenizer) this.lastText = { key, data };
    return data;
  }
}
