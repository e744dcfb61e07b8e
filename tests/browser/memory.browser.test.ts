import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerEvent } from '../../src/worker/protocol';
import type { Browser } from './harness';
import { ARTIFACTS, mainAction, openApp, sendToTrainingWorker, setField, waitForBackend, armRunEnd } from './lab/driver';

/**
 * Memory over a page visit, in the built page: "Release cached GPU memory" frees the WebGPU
 * pool's spare buffers (SwiftShader), and a visit that runs a 2×2 grid and then a try-it leaves
 * the worker with as many live tensors as it had when the grid's first run finished (wasm).
 */
let url = '';
let browser: Browser;
let close: () => Promise<void> = async () => {};

declare global {
  interface Window {
    /** Every event the training worker sent the page. */
    __events?: WorkerEvent[];
  }
}

beforeAll(async () => {
  ({ url, browser, close } = await openApp({ width: 1440, height: 1000 }));
  await browser.page.addInitScript(() => {
    window.__events = [];
    const add = Worker.prototype.addEventListener;
    Worker.prototype.addEventListener = function (this: Worker, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
      if (type === 'message') add.call(this, 'message', (e: Event) => window.__events!.push((e as MessageEvent<WorkerEvent>).data));
      return add.call(this, type, listener!, options);
    } as typeof Worker.prototype.addEventListener;
  });
});

afterAll(async () => {
  await close();
});

const bytesOf = async (page: Page, testId: string) => Number(await page.getByTestId(testId).getAttribute('data-bytes'));


/** The worker's live tensors and bytes between steps, as it answers `measureMemory`. */
async function memoryNow(page: Page): Promise<{ liveTensors: number; liveBytes: number }> {
  const before = await page.evaluate(() => window.__events!.filter((e) => e.type === 'memoryNow').length);
  await sendToTrainingWorker(page, { type: 'measureMemory' });
  await page.waitForFunction((n) => window.__events!.filter((e) => e.type === 'memoryNow').length > n, before, { timeout: 30_000 });
  return page.evaluate(() => window.__events!.filter((e) => e.type === 'memoryNow').at(-1) as { liveTensors: number; liveBytes: number });
}

describe('Release cached GPU memory (WebGPU on SwiftShader)', () => {
  it('after a run the pool holds more than is in use; after the release it holds less', async () => {
    const { page } = browser;
    await page.goto(`${url}?preset=tiny&backend=webgpu`);
    expect(await waitForBackend(page)).toBe('WebGPU');
    await setField(page, 'Steps', '12');
    await setField(page, 'Evaluate every (steps)', '6');
    await page.getByText('valid', { exact: true }).waitFor();
    const ended = await armRunEnd(page);
    await mainAction(page).click();
    expect(await ended(300_000)).toMatch(/done/i);
    await page.getByTestId('backend-allocated').scrollIntoViewIfNeeded();
    const allocated = await bytesOf(page, 'backend-allocated');
    const inUse = await bytesOf(page, 'backend-in-use');
    expect(allocated).toBeGreaterThan(inUse);
    await page.getByRole('button', { name: 'Release cached GPU memory' }).click();
    await page.waitForFunction((a) => Number(document.querySelector('[data-testid=backend-allocated]')?.getAttribute('data-bytes')) < a, allocated, { timeout: 30_000 });
    const after = await bytesOf(page, 'backend-allocated');
    expect(after).toBeLessThan(allocated);
    expect(after).toBeGreaterThanOrEqual(await bytesOf(page, 'backend-in-use'));
    expect(await page.getByTestId('backend-allocated').textContent()).toMatch(/released\)$/);
  }, 400_000);
});

const STEPS = 16;

describe('an offloaded run (wasm)', () => {
  it('draws a host-memory band above the device memory, with its figure and prediction', async () => {
    const { page } = browser;
    await page.goto(`${url}?preset=tiny&backend=wasm`);
    expect(await waitForBackend(page)).toBe('WebAssembly');
    await setField(page, 'Steps', '6');
    await page.getByRole('form', { name: 'Run configuration' }).getByLabel('Offload', { exact: true }).selectOption('activations');
    await page.getByTestId('predicted-host').waitFor();
    const ended = await armRunEnd(page);
    await mainAction(page).click();
    expect(await ended(120_000)).toMatch(/done/i);
    const memory = page.locator('[data-chart="memory"]');
    await memory.scrollIntoViewIfNeeded();
    await memory.getByText('host memory (offloaded, not on the device)').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-chart="memory"] path.plot-area').length === 7, null, { timeout: 10_000 });
    expect(await page.getByTestId('host-memory').textContent()).toMatch(/^\d+\.\d+ MiB \(predicted \d+\.\d+ MiB\)$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'memory-offload-host-band.png'), fullPage: true });
  }, 200_000);
});

describe('one page visit: a 2×2 grid, then a try-it (wasm)', () => {
  it("ends with the live tensors the worker had when the grid's first run finished", async () => {
    const { page } = browser;
    await page.goto(`${url}?preset=tiny&backend=wasm`);
    expect(await waitForBackend(page)).toBe('WebAssembly');
    await setField(page, 'Steps', String(STEPS));
    await setField(page, 'Evaluate every (steps)', String(STEPS / 2));
    // Two settings that keep the model and optimizer the same shape: runs of the same tensors.
    await page.locator('#axis-0-key').selectOption('lr');
    await page.getByLabel('Values of setting 1').fill('0.01, 0.02');
    await page.locator('#axis-1-key').selectOption('clipGradNorm');
    await page.getByLabel('Values of setting 2').fill('none, 1.0');
    await page.getByRole('button', { name: 'Run grid' }).click();
    const rows = page.locator('table[aria-label="Comparison summary"] tbody tr');
    await page.waitForFunction(() => [...document.querySelectorAll('table[aria-label="Comparison summary"] tbody tr')].map((tr) => tr.getAttribute('data-status')).join() === 'done,done,done,done', null, { timeout: 300_000, polling: 250 });
    expect(await rows.count()).toBe(4);

    // The worker's count after the first run's last step (read back with it, between steps).
    const steps = await page.evaluate(() => window.__events!.filter((e): e is Extract<WorkerEvent, { type: 'metrics' }> => e.type === 'metrics'));
    const runs = [...new Set(steps.map((e) => e.runId))];
    expect(runs).toHaveLength(4);
    const lastOf = (runId: string) => {
      const data = steps.filter((e) => e.runId === runId && e.data.step.length > 0).at(-1)!.data;
      return { liveTensors: data.liveTensors.at(-1)!, liveBytes: data.liveBytes.at(-1)!, step: data.step.at(-1) };
    };
    const first = lastOf(runs[0]!);
    expect(first.step).toBe(STEPS - 1); // steps are counted from 0 in the metrics
    // Every run of the grid ends with as many (the same shapes: nothing leaks from run to run).
    expect(runs.map((id) => lastOf(id).liveTensors)).toEqual(runs.map(() => first.liveTensors));

    await page.getByRole('button', { name: 'Random example' }).click();
    await page.getByTestId('tryit-run').click();
    await page.getByTestId('tryit-output').waitFor({ timeout: 60_000 });
    const after = await memoryNow(page);
    expect(after.liveTensors).toBe(first.liveTensors);
    expect(after.liveBytes).toBe(first.liveBytes);
  }, 400_000);
});
