import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/engine/runConfig';
import { validate, draftFrom, change } from '../../src/ui/config/draft';
import { LabStore } from '../../src/ui/lab/store';
import { LabController, type WorkerPort } from '../../src/ui/lab/controller';
import type { Command, WorkerEvent } from '../../src/worker/protocol';
import { columnsFor } from '../../src/ui/compare/summary';

function lab() {
  const sent: Command[] = [];
  let listener: (e: WorkerEvent) => void = () => {};
  const port: WorkerPort = { post: (c) => void sent.push(c), listen: (l) => void (listener = l) };
  const store = new LabStore('auto', { later: (flush) => flush(), soon: (flush) => flush() });
  const controller = new LabController(port, store, () => {});
  return { sent, store, controller, deliver: (e: WorkerEvent) => listener(e) };
}

const TEXT_CONFIG = {
  model: { dModel: 8, nHeads: 2, nDecoderLayers: 1, dFF: 16, maxLen: 16 },
  task: { name: 'text', corpus: 'carroll-alice', contextLength: 16 },
  train: { batchSize: 4, steps: 4, optimizer: { name: 'adam', lr: 0.01 } },
};

describe('the page and text runs', () => {
  it('sends a dropped text to the worker; its facts then let the panel check a config naming it', () => {
    const { sent, store, controller, deliver } = lab();
    const draft = change(draftFrom({ ...TEXT_CONFIG, task: { name: 'text', file: 'mine.txt', contextLength: 16 } }), 'task.corpus', '');
    expect(validate(draft).byField.get('task.file')).toEqual(['the text "mine.txt" is not loaded: choose or drop the file again']);
    controller.addText('mine.txt', new TextEncoder().encode('x').buffer as ArrayBuffer);
    const cmd = sent.find((c) => c.type === 'addText')!;
    expect(cmd).toMatchObject({ type: 'addText', name: 'mine.txt' });
    deliver({ type: 'textAdded', runId: null, requestId: (cmd as { requestId: number }).requestId, name: 'mine.txt', facts: { characters: ['a', 'b', ' '].sort(), length: 500 } });
    expect(store.getState().texts.get('mine.txt')?.facts?.length).toBe(500);
    const v = validate(draft);
    expect(v.general).toEqual([]);
    expect(v.run?.model).toMatchObject({ tgtVocabSize: 6 });

    // A refused text keeps its message and changes nothing the panel checks.
    controller.addText('bad.txt', new ArrayBuffer(0));
    const bad = sent.filter((c) => c.type === 'addText').at(-1) as { requestId: number };
    deliver({ type: 'textAdded', runId: null, requestId: bad.requestId, name: 'bad.txt', message: 'task.file: the text is empty (0 bytes)' });
    expect(store.getState().texts.get('bad.txt')).toEqual({ requestId: bad.requestId, message: 'task.file: the text is empty (0 bytes)' });
  });

  it('streams a sample into the store and shows tokenizer progress until the run starts', () => {
    const { sent, store, controller, deliver } = lab();
    deliver({ type: 'tokenizing', runId: 'r', done: 40, total: 100 });
    expect(store.getState().tokenizing).toEqual({ runId: 'r', done: 40, total: 100 });
    deliver({ type: 'started', runId: 'r', config: parseRunConfig(TEXT_CONFIG), parameterCount: 1, startStep: 0, targetSteps: 4, imported: false });
    expect(store.getState().tokenizing).toBeUndefined();
    controller.sample('Alice', { tokens: 20, temperature: 0, topK: null, seed: 0 });
    const { requestId } = sent.find((c) => c.type === 'sample') as { requestId: number };
    deliver({ type: 'sampled', runId: 'r', requestId, text: ' was ', done: false });
    deliver({ type: 'sampled', runId: 'r', requestId: requestId + 99, text: 'stale', done: false });
    deliver({ type: 'sampled', runId: 'r', requestId, text: 'here', done: false });
    expect(store.getState().sampling).toMatchObject({ prompt: 'Alice', text: ' was here', done: false });
    deliver({ type: 'sampled', runId: 'r', requestId, text: '', done: true });
    expect(store.getState().sampling?.done).toBe(true);
  });

  it('shows exact match for the example tasks and bits per character for text runs', () => {
    const text = { config: parseRunConfig(TEXT_CONFIG) };
    const reverse = { config: parseRunConfig({ ...TEXT_CONFIG, model: { ...TEXT_CONFIG.model, nEncoderLayers: 1 }, task: { name: 'reverse' } }) };
    const keys = (runs: { config: ReturnType<typeof parseRunConfig> }[]) => columnsFor(runs).map((c) => c.key);
    expect(keys([text])).toContain('bitsPerChar');
    expect(keys([text])).not.toContain('exactMatch');
    expect(keys([reverse])).not.toContain('bitsPerChar');
    expect(keys([text, reverse])).toEqual(expect.arrayContaining(['bitsPerChar', 'exactMatch']));
  });
});
