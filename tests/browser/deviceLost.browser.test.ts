import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWeightsText } from '../../src/engine/weights/format';
import type { Browser } from './harness';
import { mainAction, openApp, sendToTrainingWorker, setField, waitForBackend, waitForState, armRunEnd } from './lab/driver';

/**
 * A lost device does not lose the run: the tiny preset trains on WebGPU (SwiftShader), the
 * device is destroyed mid-run through the backend (the protocol's test-only command), the page
 * says so and keeps the last checkpoint, and "Continue on another backend" goes on from it on
 * wasm to the run's target step.
 */
const STEPS = 30;
const EVAL_EVERY = 4;

let url = '';
let browser: Browser;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ url, browser, close } = await openApp({ width: 1440, height: 900 }));
});

afterAll(async () => {
  await close();
});

/**
 * Starts the tiny preset on WebGPU from the page, lets it pass step `step`, then destroys its
 * device as a driver reset would: the worker's own message handler gets the test-only command.
 */
async function loseDeviceAfter(page: Page, step: number): Promise<void> {
  await page.goto(`${url}?preset=tiny&backend=webgpu`);
  expect(await waitForBackend(page)).toBe('WebGPU');
  await setField(page, 'Steps', String(STEPS));
  await setField(page, 'Evaluate every (steps)', String(EVAL_EVERY));
  await page.getByText('valid', { exact: true }).waitFor();
  await mainAction(page).click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=step]')?.textContent) >= n, step, { timeout: 300_000, polling: 100 });
  await sendToTrainingWorker(page, { type: 'testOnlyDestroyDevice' });
}

const stepShown = (page: Page) => page.evaluate(() => Number(document.querySelector('[data-testid=step]')?.textContent));

describe('a lost WebGPU device', () => {
  it('stops the run with a clear message, keeps the last checkpoint, and continues on wasm to the target step', async () => {
    const { page, errors } = browser;
    await loseDeviceAfter(page, 2 * EVAL_EVERY + 1);
    expect(await waitForState(page, ['failed'], 60_000)).toMatch(/failed/i);
    const banner = page.locator('.banner-error');
    await banner.waitFor();
    expect(await banner.locator('strong').textContent(), await banner.textContent() ?? '').toBe('The GPU device was lost');
    const message = (await banner.locator('.banner-message').textContent()) ?? '';
    expect(message).toMatch(/^The GPU device was lost/);
    const suggestion = (await banner.locator('.banner-suggestion').textContent()) ?? '';
    const kept = Number(/The weights of step (\d+) are kept/.exec(suggestion)?.[1]);
    expect(kept % EVAL_EVERY, `${message} / ${suggestion}`).toBe(0);
    expect(kept).toBeGreaterThanOrEqual(2 * EVAL_EVERY);
    const failedAt = await stepShown(page);
    expect(kept).toBeLessThanOrEqual(failedAt);

    // The kept weights are the checkpoint's.
    const [download] = await Promise.all([page.waitForEvent('download'), banner.getByRole('button', { name: `Export last good weights (step ${kept})` }).click()]);
    const doc = parseWeightsText(await readFile((await download.path())!, 'utf8'));
    expect((doc.extra.training as { step: number }).step).toBe(kept);
    expect(download.suggestedFilename()).toMatch(new RegExp(`-step${kept}\\.weights\\.json$`));

    // Every step the page shows from here on: the run goes on from the checkpoint, not from its seed.
    await page.evaluate(() => {
      const seen: number[] = ((window as unknown as { __steps: number[] }).__steps = []);
      new MutationObserver(() => seen.push(Number(document.querySelector('[data-testid=step]')?.textContent))).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const ended = await armRunEnd(page);
    await banner.getByRole('button', { name: 'Continue on another backend' }).click();
    expect(await waitForBackend(page)).toBe('WebAssembly');
    expect(await ended(300_000)).toMatch(/done/i);
    expect(await page.getByRole('progressbar', { name: 'Training progress' }).getAttribute('aria-valuenow')).toBe(String(STEPS));
    expect(await page.locator('.banner-error').count()).toBe(0);
    const steps = await page.evaluate(() => (window as unknown as { __steps: number[] }).__steps.filter(Number.isFinite));
    expect(Math.min(...steps)).toBe(kept);
    expect(steps.at(-1)).toBe(STEPS);
    expect(errors.filter((e) => !/GPU|device|WebGPU/i.test(e))).toEqual([]);
  }, 600_000);

  it('"Retry on WebGPU" gets a new device, and the run reaches its target step on it', async () => {
    const { page } = browser;
    await loseDeviceAfter(page, EVAL_EVERY + 1);
    const banner = page.locator('.banner-error');
    await banner.waitFor();
    expect(await banner.locator('strong').textContent()).toBe('The GPU device was lost');
    const ended = await armRunEnd(page);
    await banner.getByRole('button', { name: 'Retry on WebGPU' }).click();
    expect(await waitForBackend(page)).toBe('WebGPU');
    expect(await ended(300_000)).toMatch(/done/i);
    expect(await page.getByRole('progressbar', { name: 'Training progress' }).getAttribute('aria-valuenow')).toBe(String(STEPS));
  }, 600_000);
});
