/**
 * What the page's panels ask of a run's live model, by task: an answer to one input with its
 * attention (`inspect`), a forecast of one window beside the truth (`inspectWindow`), a text's
 * continuation streamed chunk by chunk (`sample`). Each is answered by its own event.
 */
import type { LabRunConfig } from '../engine/runConfig';
import type { Trainer } from '../engine/train/trainer';
import type { Command, WorkerEvent } from './protocol';
import { samplePrompt } from './text';

export type TryCommand = Extract<Command, { type: 'inspect' | 'inspectWindow' | 'sample' }>;

export async function tryModel(cmd: TryCommand, trainer: Trainer<LabRunConfig> | undefined, post: (e: WorkerEvent) => void): Promise<void> {
  if (!trainer) throw new Error(`this run has no live model to ${cmd.type === 'sample' ? 'sample from' : 'try'}; resume it or import its weights`);
  const { runId, requestId } = cmd;
  switch (cmd.type) {
    case 'inspect':
      return post({ type: 'inspected', runId, requestId, inspection: await trainer.inspect(cmd.input) });
    case 'inspectWindow':
      return post({ type: 'inspectedWindow', runId, requestId, inspection: await trainer.inspectWindow(cmd.split, cmd.index) });
    case 'sample': {
      const { tokenizer } = trainer.textData();
      const ids = samplePrompt(tokenizer, cmd.prompt, cmd.options);
      await trainer.sampleIds(ids, cmd.options, (chunk) => post({ type: 'sampled', runId, requestId, text: tokenizer.decode(chunk), done: false }));
      return post({ type: 'sampled', runId, requestId, text: '', done: true });
    }
  }
}
