import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseLabRunConfig, type LabRunConfig } from '../../../src/engine/runConfig';
import { draftFrom, validate } from '../../../src/ui/config/draft';
import { PRESETS } from '../../../src/ui/config/presets';
import { droppedFiles, uiSeries } from '../../../src/ui/forecast/files';
import { LabController } from '../../../src/ui/lab/controller';
import { LabStore } from '../../../src/ui/lab/store';
import { LabDb } from '../../../src/ui/storage/db';
import type { KeptFile, KeptRun } from '../../../src/ui/storage/records';
import type { Command, WorkerEvent } from '../../../src/worker/protocol';
import { RunDb } from '../../../src/worker/storage';

let dbCount = 0;
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A page with a fake worker over an IndexedDB (a fresh one, or the same one again: a reload). */
async function page(dbName = `kept-files-${++dbCount}`, openDb = () => LabDb.open(dbName)) {
  const sent: Command[] = [];
  let listener: (e: WorkerEvent) => void = () => {};
  const store = new LabStore('auto', { later: (flush) => queueMicrotask(flush), soon: (flush) => flush() });
  const lab = new LabController({ post: (c) => sent.push(c), listen: (l) => (listener = l) }, store, () => {}, { openDb });
  while (store.getState().library.status === 'loading') await tick(5);
  return { lab, store, sent, dbName, emit: (e: WorkerEvent) => { listener(e); store.flush(); } };
}

type Page = Awaited<ReturnType<typeof page>>;

/** A new page on the same database: what the old page held in memory is gone. */
function reload(p: Page) {
  droppedFiles.clear();
  return page(p.dbName);
}

async function stored(dbName: string): Promise<KeptFile[]> {
  const db = await LabDb.open(dbName);
  const files = await db.files();
  db.close();
  return files;
}

afterEach(() => {
  droppedFiles.clear();
  vi.restoreAllMocks();
});

const CSV = ['t,load,temp', ...Array.from({ length: 80 }, (_, i) => `${i},${Math.sin(i / 3).toFixed(4)},${(i % 7) + 0.5}`)].join('\n');
const FORECAST = PRESETS.find((x) => x.id === 'forecast')!.config as { task: object };
const TEXT = PRESETS.find((x) => x.id === 'text-char')!.config as { task: object };
const forecastOn = (csv: string) => ({ ...FORECAST, task: { name: 'forecast', csv, lookback: 8, horizon: 4 } });
const textOn = (file: string) => ({ ...TEXT, task: { name: 'text', file, tokenizer: 'char', contextLength: 64 } });
const bytesOf = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
const FACTS = { characters: [' ', 'a', 'c', 'e', 'h', 'm', 'n', 'o', 's', 't'], length: 5000 };
const addTexts = (p: Page) => p.sent.filter((c): c is Extract<Command, { type: 'addText' }> => c.type === 'addText');

/** Plays the worker keeping a run: it starts, stores a checkpoint at step 10 and stops there. */
async function keep(p: Page, runId: string, config: LabRunConfig) {
  p.emit({ type: 'started', runId, config, parameterCount: 1, startStep: 0, targetSteps: 40, imported: false });
  const worker = await RunDb.open(p.dbName);
  await worker.record(runId, { progress: { step: 10, activeMs: 10 }, checkpoint: { step: 10, text: '{"format":"transformer-lab/weights"}' } });
  worker.close();
  p.emit({ type: 'checkpoint', runId, step: 10 });
  p.emit({ type: 'state', runId, state: 'stopped', step: 10, targetSteps: 40 });
  await p.lab.shelf.flushed();
}

describe('a dropped CSV', () => {
  it('survives a reload: a kept run on it resumes with its file, and the restored config validates', async () => {
    const p = await page();
    p.lab.addCsv('load.csv', CSV);
    const config = parseLabRunConfig(forecastOn('load.csv'), uiSeries);
    const runId = p.lab.start(config);
    expect(p.sent.at(-1)).toMatchObject({ type: 'start', files: { 'load.csv': CSV } });
    await keep(p, runId, config);

    const again = await reload(p);
    expect(droppedFiles.get('load.csv')).toBe(CSV);
    const restored = again.store.getState().run!;
    expect(restored.id).toBe(runId);
    expect(validate(draftFrom(restored.config)).run).toEqual(config);
    again.lab.shelf.resume(runId);
    expect(again.sent.at(-1)).toEqual({ type: 'resumeKept', runId, config, resumeTo: 40, activeMs: 10, files: { 'load.csv': CSV } });
  });

  it('dropped again under the same name, replaces the kept one', async () => {
    const p = await page();
    p.lab.addCsv('load.csv', 'a,b\n1,2');
    p.lab.addCsv('load.csv', CSV);
    await p.lab.shelf.flushed();
    expect(await stored(p.dbName)).toEqual([{ kind: 'csv', name: 'load.csv', content: CSV, savedAt: expect.any(Number) }]);
  });
});

describe('a dropped text', () => {
  it('is kept once the worker accepts it, and after a reload goes to the worker again before any run resumes', async () => {
    const p = await page();
    const text = 'the cat sat on the mat. '.repeat(200);
    p.lab.addText('notes.txt', bytesOf(text));
    await p.lab.shelf.flushed();
    expect(await stored(p.dbName)).toEqual([]); // not before the worker has checked it
    p.emit({ type: 'textAdded', runId: null, requestId: addTexts(p)[0]!.requestId, name: 'notes.txt', facts: FACTS });
    await p.lab.shelf.flushed();
    const [file] = await stored(p.dbName);
    expect(file).toMatchObject({ kind: 'text', name: 'notes.txt' });
    expect(new TextDecoder().decode(file!.content as ArrayBuffer)).toBe(text);
    const config = parseLabRunConfig(textOn('notes.txt'));
    const runId = p.lab.start(config);
    await keep(p, runId, config);

    const again = await reload(p);
    const [sentAgain] = addTexts(again);
    expect(sentAgain!.name).toBe('notes.txt');
    expect(new TextDecoder().decode(sentAgain!.bytes)).toBe(text);
    expect(again.store.getState().texts.get('notes.txt')).toEqual({ requestId: sentAgain!.requestId }); // waiting for the worker's answer
    again.lab.shelf.resume(runId);
    const types = again.sent.map((c) => c.type);
    expect(types.indexOf('addText')).toBeLessThan(types.indexOf('resumeKept'));
    expect(types.indexOf('addText')).toBeLessThan(types.indexOf('predict'));

    // The worker accepts it again: the page knows its facts, and storage keeps the one record it had.
    again.emit({ type: 'textAdded', runId: null, requestId: sentAgain!.requestId, name: 'notes.txt', facts: FACTS });
    expect(again.store.getState().texts.get('notes.txt')?.facts).toEqual(FACTS);
    await again.lab.shelf.flushed();
    expect(await stored(p.dbName)).toEqual([file]);
  });

  it('is not kept when the worker refuses it, and a kept one the worker now refuses is deleted', async () => {
    const p = await page();
    p.lab.addText('bad.txt', bytesOf('\u0000\u0001'));
    p.emit({ type: 'textAdded', runId: null, requestId: addTexts(p)[0]!.requestId, name: 'bad.txt', message: 'task.file: is not text' });
    await p.lab.shelf.flushed();
    expect(await stored(p.dbName)).toEqual([]);

    const db = await LabDb.open(p.dbName);
    const parsed = parseLabRunConfig(TEXT);
    await db.saveRun(keptRun('r1', { ...parsed, task: { ...parsed.task, corpus: undefined, file: 'old.txt' } } as LabRunConfig));
    await db.saveFile({ kind: 'text', name: 'old.txt', content: bytesOf('was fine once'), savedAt: 1 });
    db.close();
    const again = await reload(p);
    const [old] = addTexts(again);
    again.emit({ type: 'textAdded', runId: null, requestId: old!.requestId, name: 'old.txt', message: 'task.file: is not text' });
    await again.lab.shelf.flushed();
    expect(await stored(p.dbName)).toEqual([]);
  });
});

const keptRun = (id: string, config: LabRunConfig): KeptRun => ({ id, comparisonId: 'single-runs', name: id, config, status: 'stopped', step: 1, targetSteps: 2, activeMs: 1, createdAt: 1 });

describe('when the page opens', () => {
  it('deletes the kept files no kept run names, each kind by its own names', async () => {
    const dbName = `kept-files-${++dbCount}`;
    const db = await LabDb.open(dbName);
    const text = parseLabRunConfig(TEXT);
    await db.saveRun(keptRun('text-run', { ...text, task: { ...text.task, corpus: undefined, file: 'named.txt' } } as LabRunConfig));
    await db.saveRun(keptRun('forecast-run', parseLabRunConfig(forecastOn('named.csv'), () => CSV)));
    const file = (kind: 'text' | 'csv', name: string): KeptFile => (kind === 'text' ? { kind, name, content: bytesOf(name), savedAt: 1 } : { kind, name, content: CSV, savedAt: 1 });
    for (const f of [file('text', 'named.txt'), file('csv', 'named.csv'), file('text', 'other.txt'), file('csv', 'other.csv'), file('csv', 'named.txt'), file('text', 'named.csv')]) await db.saveFile(f);
    db.close();

    const p = await page(dbName);
    await p.lab.shelf.flushed();
    const left = await stored(dbName);
    expect(left.map((f) => `${f.kind}:${f.name}`).sort()).toEqual(['csv:named.csv', 'text:named.txt']);
    expect(addTexts(p).map((c) => c.name)).toEqual(['named.txt']);
    expect([...droppedFiles.keys()]).toEqual(['named.csv']);
  });

  it('without IndexedDB, files live in the page as before', async () => {
    const p = await page(undefined, () => Promise.reject(new Error('IndexedDB is not available')));
    expect(p.store.getState().library.status).toBe('unavailable');
    p.lab.addCsv('load.csv', CSV);
    p.lab.addText('notes.txt', bytesOf('text'));
    p.emit({ type: 'textAdded', runId: null, requestId: addTexts(p)[0]!.requestId, name: 'notes.txt', facts: FACTS });
    await p.lab.shelf.flushed();
    expect(p.store.getState().notice).toBeUndefined();
    p.lab.start(forecastOn('load.csv'));
    expect(p.sent.at(-1)).toMatchObject({ type: 'start', files: { 'load.csv': CSV } });
  });

  it('a file that cannot be saved is said so, and the page goes on with it', async () => {
    const p = await page();
    vi.spyOn(LabDb.prototype, 'saveFile').mockRejectedValue(new Error('the disk is full'));
    p.lab.addCsv('load.csv', CSV);
    await p.lab.shelf.flushed();
    expect(p.store.getState().notice).toBe("Could not save to this browser's storage: the disk is full");
    p.lab.start(forecastOn('load.csv'));
    expect(p.sent.at(-1)).toMatchObject({ type: 'start', files: { 'load.csv': CSV } });
  });
});
