import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from './harness';
import { ARTIFACTS, openApp, setField, summaryValue, waitForBackend, armRunEnd } from './lab/driver';

/**
 * A text run in the built page (wasm backend): the characters preset on a dropped text (a binary
 * file refused first), the samples timeline and the bits-per-char chart filling in, the sampler
 * streaming a continuation, and a weights file without its tokenizer refused on import.
 */
const STEPS = 30;
const STORY = 'Once upon a time a small model read a story, and slowly it learned to write one of its own. '.repeat(90);

let url = '';
let browser: Browser;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ url, browser, close } = await openApp({ width: 1440, height: 1000 }));
});

afterAll(async () => {
  await close();
});

describe('a text run in the page (wasm)', () => {
  it('refuses a binary file, trains on a dropped text, and shows its samples as it learns', async () => {
    const { page } = browser;
    await page.goto(`${url}?preset=text-char&backend=wasm`);
    expect(await waitForBackend(page)).toBe('WebAssembly');
    await page.getByText('valid', { exact: true }).waitFor();
    await page.getByTestId('predicted-peak').waitFor();

    await page.getByLabel('Your text').check();
    await page.getByTestId('text-file').setInputFiles({ name: 'photo.txt', mimeType: 'text/plain', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) });
    const refused = page.getByTestId('text-refused');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('task.file: is not UTF-8 text: byte 0x89 at offset 0 is not valid UTF-8');
    expect(await page.getByText('valid', { exact: true }).count()).toBe(1); // the config still names its corpus

    await page.getByTestId('text-file').setInputFiles({ name: 'story.txt', mimeType: 'text/plain', buffer: Buffer.from(STORY) });
    await page.getByText('Training on story.txt').waitFor();
    expect(await refused.count()).toBe(0);
    await setField(page, 'Steps', String(STEPS));
    await setField(page, 'Evaluate every (steps)', '10');
    await page.getByText('valid', { exact: true }).waitFor();
    const ended = await armRunEnd(page);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    expect(await ended(300_000)).toBe('done');

    await page.locator('[data-chart="samples"]').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelectorAll('[data-chart="samples"] li').length === 3, null, { timeout: 30_000 });
    expect(await page.locator('[data-chart="samples"] li').first().getAttribute('data-step')).toBe(String(STEPS));
    expect(await page.locator('[data-chart="samples"] .sample-prompt').first().textContent()).not.toBe('');
    await page.locator('[data-chart="bits-per-char"]').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelector('[data-chart="bits-per-char"] path.plot-line') !== null, null, { timeout: 30_000 });
    expect(Number.parseFloat((await summaryValue(page, 'Bits per character')) ?? '')).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'text-run.png'), fullPage: true });
  }, 400_000);

  it('samples from the trained model, the text streaming in', async () => {
    const { page } = browser;
    await page.getByTestId('sampler-prompt').fill('Once upon');
    await page.getByLabel('Length (tokens)', { exact: true }).fill('48');
    await page.getByTestId('sampler-run').click();
    const output = page.getByTestId('sampler-output');
    await page.waitForFunction(() => document.querySelector('[data-testid=sampler-output]')?.getAttribute('aria-busy') === 'false', null, { timeout: 60_000 });
    const text = (await output.textContent()) ?? '';
    expect(text.startsWith('Once upon')).toBe(true);
    expect([...text].length).toBe('Once upon'.length + 48);
    await page.screenshot({ path: path.join(ARTIFACTS, 'text-sampler.png') });
  }, 120_000);

  it('exports the weights with their tokenizer, and refuses them without it', async () => {
    const { page } = browser;
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export weights' }).click()]);
    const doc = JSON.parse(await readFile((await d.path())!, 'utf8')) as Record<string, unknown>;
    expect(doc.tokenizer).toMatchObject({ type: 'char' });
    delete doc.tokenizer;
    await page.getByTestId('weights-file').setInputFiles({ name: 'w.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    const alert = page.locator('.error-banner, [role=alert]').filter({ hasText: 'tokenizer: is required' });
    await alert.first().waitFor({ timeout: 60_000 });
    expect(await page.locator('.progress .state').textContent()).toBe('done');
    expect(await page.getByTestId('step').textContent()).toBe(String(STEPS));
  }, 120_000);

  it('logged no console errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
