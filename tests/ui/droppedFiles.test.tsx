// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseLabRunConfig, type LabRunConfig } from '../../src/engine/runConfig';
import { PRESETS, TINY_CONFIG } from '../../src/ui/config/presets';
import { droppedFiles } from '../../src/ui/forecast/files';
import { LabDb } from '../../src/ui/storage/db';
import type { KeptFile } from '../../src/ui/storage/records';
import type { Command } from '../../src/worker/protocol';
import { READY, renderLab } from './fakeLab';

beforeAll(() => {
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
});
afterEach(() => {
  cleanup();
  droppedFiles.clear();
});

let dbCount = 0;
const CSV = ['t,load,temp', ...Array.from({ length: 80 }, (_, i) => `${i},${Math.sin(i / 3).toFixed(4)},${(i % 7) + 0.5}`)].join('\n');
const FORECAST = PRESETS.find((p) => p.id === 'forecast')!.config as object;
const TEXT = parseLabRunConfig(PRESETS.find((p) => p.id === 'text-char')!.config);
const form = () => within(screen.getByRole('form', { name: 'Run configuration' }));

/** A database as an earlier page left it: one stopped run on `config`, and the file it names. */
async function earlierPage(config: LabRunConfig, file: KeptFile): Promise<string> {
  const name = `dropped-files-${++dbCount}`;
  const db = await LabDb.open(name);
  await db.saveRun({ id: 'r1', comparisonId: 'single-runs', name: 'r1', config, status: 'stopped', step: 10, targetSteps: 40, activeMs: 10, createdAt: 1 });
  await db.saveFile(file);
  db.close();
  return name;
}

async function openPage(dbName: string, draft: unknown = TINY_CONFIG) {
  const lab = renderLab(draft, { openDb: () => LabDb.open(dbName) });
  await waitFor(() => expect(lab.store.getState().library.status).toBe('ready'));
  act(() => lab.emit(READY));
  return lab;
}

describe('files dropped on an earlier page', () => {
  it('a CSV: the restored config names it and checks out, with no drop', async () => {
    const dbName = await earlierPage(parseLabRunConfig({ ...FORECAST, task: { name: 'forecast', csv: 'kept-load.csv', lookback: 8, horizon: 4 } }, () => CSV), { kind: 'csv', name: 'kept-load.csv', content: CSV, savedAt: 1 });
    await openPage(dbName);
    expect(await screen.findByText('kept-load.csv: 80 rows under its header')).toBeTruthy();
    expect(screen.getByText('valid')).toBeTruthy();
  });

  it('a text: the restored config checks out once the worker has checked the text again', async () => {
    const config = { ...TEXT, task: { ...TEXT.task, corpus: undefined, file: 'kept-notes.txt' } } as LabRunConfig;
    const dbName = await earlierPage(config, { kind: 'text', name: 'kept-notes.txt', content: new TextEncoder().encode('the cat sat. '.repeat(500)).buffer as ArrayBuffer, savedAt: 1 });
    const lab = await openPage(dbName);
    // Until the worker answers, the panel says it is checking the text, not that the text is missing.
    await screen.findByText('Checking kept-notes.txt…');
    expect(screen.queryByText(/is not loaded/)).toBeNull();
    expect(screen.queryByText('valid')).toBeNull();
    const sent = lab.sent.find((c): c is Extract<Command, { type: 'addText' }> => c.type === 'addText')!;
    act(() => lab.emit({ type: 'textAdded', runId: null, requestId: sent.requestId, name: 'kept-notes.txt', facts: { characters: [' ', '.', 'a', 'c', 'e', 'h', 's', 't'], length: 6500 } }));
    expect(await screen.findByText('valid')).toBeTruthy();
    expect(screen.queryByText('Checking kept-notes.txt…')).toBeNull();
    expect(screen.getByText('kept-notes.txt')).toBeTruthy(); // "Training on kept-notes.txt (6,500 characters, …)"
  });

  it('a CSV dropped on the panel is kept', async () => {
    const dbName = `dropped-files-${++dbCount}`;
    await openPage(dbName, FORECAST);
    fireEvent.change(form().getByLabelText('Series'), { target: { value: 'csv' } });
    fireEvent.change(form().getByLabelText('Drop a CSV here, or choose one'), { target: { files: [new File([CSV], 'load.csv', { type: 'text/csv' })] } });
    await screen.findByText(/load\.csv: 80 rows/);
    const db = await LabDb.open(dbName);
    await waitFor(async () => expect(await db.files()).toEqual([{ kind: 'csv', name: 'load.csv', content: CSV, savedAt: expect.any(Number) }]));
    db.close();
  });
});
