import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from './harness';
import { ARTIFACTS, openApp, setField, waitForBackend } from './lab/driver';

/**
 * Comparisons in the built page (wasm backend, the fast CPU path): a 2×2 grid (Adam vs SGD ×
 * fp32 vs fp16) on the tiny config runs from the UI, four curves and the summary table appear,
 * a reload during the last run finds all four runs and resumes the interrupted one from its
 * checkpoint, a shared grid link restores the setup (a damaged one is refused), and the try-it
 * panel answers on the trained model.
 */
// Long enough that the last run is still training when the page polls its row (a tiny step
// takes a few milliseconds on wasm, and the runs table refreshes every few seconds).
const STEPS = 160;
const EVAL_EVERY = STEPS / 10;

let url = '';
let browser: Browser;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ url, browser, close } = await openApp({ width: 1440, height: 1000 }));
});

afterAll(async () => {
  await close();
});

const rows = (page: Page) => page.locator('table[aria-label="Comparison summary"] tbody tr');
const row = (page: Page, name: string) => page.locator(`table[aria-label="Comparison summary"] tbody tr[data-run="${name}"]`);

async function waitForStatuses(page: Page, wanted: string[], timeout = 240_000): Promise<void> {
  try {
    await page.waitForFunction(
      (w) => JSON.stringify([...document.querySelectorAll('table[aria-label="Comparison summary"] tbody tr')].map((tr) => tr.getAttribute('data-status'))) === JSON.stringify(w),
      wanted, { timeout, polling: 250 },
    );
  } catch (e) {
    const seen = await rows(page).allTextContents();
    const banner = await page.locator('[role=alert]').allTextContents();
    throw new Error(`waited for ${JSON.stringify(wanted)}; the table shows ${JSON.stringify(seen)}; alerts: ${JSON.stringify(banner)}`, { cause: e });
  }
}

/** The runs drawn on a chart: one line (or, for a single evaluation, one dot) each. */
async function curves(page: Page, chart: string): Promise<number> {
  await page.locator(`[data-chart="${chart}"]`).scrollIntoViewIfNeeded();
  await page.waitForTimeout(800); // a draw window
  return page.locator(`[data-chart="${chart}"] g.plot-series`).evaluateAll((lines) => lines.filter((g) => (g.querySelector('path.plot-line')?.getAttribute('d') ?? '') !== '' || g.querySelector('.plot-dots circle')).length);
}

/** A column's cells, by its header's text (the first column is the row header). */
const column = (page: Page, label: string) =>
  page.locator('table[aria-label="Comparison summary"]').evaluate((table, l) => {
    const index = [...table.querySelectorAll('thead th')].findIndex((th) => th.textContent?.startsWith(l));
    return [...table.querySelectorAll('tbody tr')].map((tr) => tr.children[index]?.textContent ?? '');
  }, label);

const GRID = ['adam · fp32', 'adam · fp16', 'sgd(lr=0.1, momentum=0.9) · fp32', 'sgd(lr=0.1, momentum=0.9) · fp16'];

describe('comparisons, kept runs, share links and try-it (wasm)', () => {
  let link = '';

  it('runs a 2×2 grid: four curves and the summary table', async () => {
    const { page } = browser;
    await page.goto(`${url}?preset=tiny&backend=wasm`);
    expect(await waitForBackend(page)).toBe('WebAssembly');
    await setField(page, 'Steps', String(STEPS));
    await setField(page, 'Evaluate every (steps)', String(EVAL_EVERY));
    expect(await page.getByLabel('Values of setting 1').inputValue()).toBe('adam, sgd(lr=0.1, momentum=0.9)');
    expect(await page.getByLabel('Values of setting 2').inputValue()).toBe('fp32, fp16');
    await page.getByRole('button', { name: 'Run grid' }).click();
    await rows(page).nth(3).waitFor();
    expect(await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')))).toEqual(GRID);
    // Watched as a user would, with the runs table in view (the card redraws only then while a run trains).
    await rows(page).nth(3).scrollIntoViewIfNeeded();
    // Reload while the last run trains, once it has saved checkpoints (at every evaluation).
    await page.waitForFunction(
      ([name, after]) => {
        const tr = document.querySelector(`tr[data-run="${name}"]`);
        const m = /running (\d+)\//.exec(tr?.textContent ?? '');
        return m !== null && Number(m[1]) >= Number(after);
      },
      [GRID[3], 2 * EVAL_EVERY + 1] as const, { timeout: 240_000, polling: 50 },
    );
    await page.reload();
    await waitForBackend(page);
    await waitForStatuses(page, ['done', 'done', 'done', 'interrupted']);
    // Every run came back with its metrics: the finished ones report a final validation loss.
    expect((await column(page, 'Final val loss')).map((t) => /^\d/.test(t))).toEqual([true, true, true, true]);
    expect(await curves(page, 'compare-loss')).toBe(4);
    expect(await curves(page, 'compare-exactMatch')).toBe(4);
    expect(await curves(page, 'compare-memory')).toBe(4);
    // The legend names only what differs between the runs.
    expect(await page.locator('[data-chart="compare-loss"] .legend li').allTextContents()).toEqual(GRID);
    await page.screenshot({ path: path.join(ARTIFACTS, 'compare-grid-reloaded.png'), fullPage: true });

    await row(page, GRID[3]!).getByRole('button', { name: 'Resume' }).click();
    await page.getByText(`Resumed “${GRID[3]}” from step`).waitFor({ timeout: 60_000 });
    await waitForStatuses(page, ['done', 'done', 'done', 'done']);
    expect(await curves(page, 'compare-loss')).toBe(4);
    // The resumed run's loss curve covers every step once.
    expect(await curves(page, 'loss')).toBeGreaterThan(0);
    const steps = await page.evaluate(() => document.querySelector('[data-chart="loss"] path.plot-line')?.getAttribute('d')?.match(/,/g)?.length ?? 0);
    expect(steps).toBe(STEPS);
    // The summary table marks the best of each column and sorts.
    expect(await page.locator('table[aria-label="Comparison summary"] td.best').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: /^Final val loss/ }).click();
    const sorted = (await column(page, 'Final val loss')).map((t) => Number.parseFloat(t));
    expect(sorted.every(Number.isFinite)).toBe(true);
    expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
    await page.locator('#diff-baseline').selectOption({ label: GRID[0]! });
    expect(await curves(page, 'compare-difference')).toBe(3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'compare-grid-done.png'), fullPage: true });
  }, 600_000);

  it('uses the try-it panel on the trained model', async () => {
    const { page } = browser;
    const input = page.getByTestId('tryit-input');
    await input.fill('zz');
    expect(await page.getByTestId('tryit-run').isDisabled()).toBe(true);
    await input.fill('');
    await page.getByRole('button', { name: 'Random example' }).click();
    await page.getByTestId('tryit-run').click();
    await page.getByTestId('tryit-output').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('tryit-expected').textContent()).not.toBe('');
    expect(await page.getByTestId('attention-heatmap').count()).toBeGreaterThan(0);
    expect(await page.locator('select').filter({ has: page.locator('option', { hasText: 'Cross' }) }).count()).toBeGreaterThan(0);
  }, 120_000);

  it('shares the grid as a link that restores it, and refuses a damaged link', async () => {
    const { page } = browser;
    await page.getByLabel('Values of setting 1').fill('adam, rmsprop');
    await page.getByRole('button', { name: 'Link to this grid' }).click();
    link = await page.locator('#share-link').inputValue();
    expect(link).toMatch(/#grid=[A-Za-z0-9_-]+$/);
    const fresh = await page.context().newPage();
    await fresh.goto(link);
    await waitForBackend(fresh);
    expect(await fresh.getByLabel('Values of setting 1').inputValue()).toBe('adam, rmsprop');
    expect(await fresh.getByLabel('Values of setting 2').inputValue()).toBe('fp32, fp16');
    expect(await fresh.getByRole('form', { name: 'Run configuration' }).getByLabel('Steps', { exact: true }).inputValue()).toBe(String(STEPS));
    expect(await fresh.getByText('4 runs: adam · fp32; adam · fp16; rmsprop · fp32; rmsprop · fp16').count()).toBe(1);

    await fresh.goto(link.replace(/#grid=.*/, '#config=bm90IGpzb24'));
    await fresh.reload();
    await fresh.getByText('the shared link was not opened: url.config: is not JSON').waitFor({ timeout: 30_000 });
    await fresh.close();
  }, 180_000);

  it('logged no console errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
