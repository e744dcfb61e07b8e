import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramSpecs } from '../../src/engine/params';
import { parseRunConfig } from '../../src/engine/runConfig';
import { parseWeightsText, WEIGHTS_FORMAT, WEIGHTS_VERSION } from '../../src/engine/weights/format';
import { TINY_CONFIG } from '../../src/ui/config/presets';
import type { Browser } from './harness';
import { ARTIFACTS, chartDrawsBetween, framesBetween, lineYs, longTasksBetween, mainAction, now, openApp, setField, summaryValue, unnamedControls, waitForBackend, waitForState, watchLongTasks } from './lab/driver';

/**
 * The built lab page in headless Chromium: train a tiny config on WebGPU (SwiftShader, asked
 * for with ?backend=webgpu: on its own the page picks the faster wasm backend) from the UI, watch the loss fall on the chart and the memory chart fill, export the weights and check
 * them against the reference format, import them back (a bad file first), continue training,
 * and do it again on the wasm backend the page falls back to. No console errors, and no
 * main-thread long task while training.
 */
const STEPS = 24;
const TRAIN_COLOR = '#0072b2'; // the smoothed training loss (charts/palette.ts)
const RUN = parseRunConfig({ ...TINY_CONFIG, train: { ...TINY_CONFIG.train, steps: STEPS, evalEvery: 8 } });

let url = '';
let browser: Browser;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ url, browser, close } = await openApp({ width: 1440, height: 900 }));
  await watchLongTasks(browser.page);
});

afterAll(async () => {
  await close();
});

/**
 * A screenshot of the whole page (`full`) or of the viewport. For the whole page the viewport is
 * made as tall as the page first, so that every chart is in view and drawn (charts out of view
 * wait, see src/ui/charts/drawQueue.ts).
 */
async function shot(page: Page, name: string, full = true): Promise<void> {
  const viewport = page.viewportSize()!;
  if (full) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.setViewportSize({ ...viewport, height: await page.evaluate(() => document.documentElement.scrollHeight) });
    await page.waitForTimeout(1000);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
  if (full) await page.setViewportSize(viewport);
}

/** Sets the tiny run up through the form, trains it to the end, and checks what a user sees. */
async function trainFromTheUi(page: Page, label: string): Promise<void> {
  await setField(page, 'Steps', String(STEPS));
  await setField(page, 'Evaluate every (steps)', '8');
  await page.getByText('valid', { exact: true }).waitFor();
  await page.getByTestId('predicted-peak').waitFor();
  await shot(page, `lab-${label}-before.png`);
  const start = mainAction(page);
  expect(await start.textContent()).toBe('Start');
  expect(await start.getAttribute('aria-disabled')).toBeNull();
  const t0 = await now(page);
  await start.click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=step]')?.textContent) >= 12, null, { timeout: 300_000, polling: 500 });
  // A screenshot is the test's own work (a full-page one even resizes the page): leave it out of the measure.
  const s0 = await now(page);
  await shot(page, `lab-${label}-training.png`, false);
  const s1 = await now(page);
  expect(await waitForState(page, ['done', 'failed'], 300_000)).toBe('done');
  const t1 = await now(page);
  expect(await page.getByRole('progressbar', { name: 'Training progress' }).getAttribute('aria-valuenow')).toBe(String(STEPS));

  // The loss falls on the chart: the smoothed line ends lower (larger y) than it starts. Charts
  // redraw a few times a second, so the last steps may take a moment to show.
  await page.waitForFunction(
    ([color, n]) => (document.querySelector(`[data-chart="loss"] path.plot-line[stroke="${color}"]`)?.getAttribute('d')?.match(/,/g)?.length ?? 0) >= Number(n),
    [TRAIN_COLOR, STEPS] as const,
    { timeout: 10_000 },
  );
  const ys = await lineYs(page, 'loss', TRAIN_COLOR);
  expect(ys.length).toBeGreaterThanOrEqual(STEPS);
  expect(ys.at(-1)! - ys[0]!).toBeGreaterThan(20);
  // The memory chart is populated: the backend's in-use line, and the engine's stacked areas when it reports them.
  const memory = page.locator('[data-chart="memory"]');
  expect(await memory.locator('path.plot-line').count()).toBeGreaterThan(0);
  if (!(await memory.getByText('reports no per-category breakdown').count())) {
    expect(await memory.locator('path.plot-area').count()).toBe(6);
  }
  expect(await page.locator('[data-chart="accuracy"] path.plot-line').count()).toBe(2);
  await shot(page, `lab-${label}-done.png`);
  const long = (await longTasksBetween(page, t0, t1)).filter((t) => t.start + t.duration < s0 || t.start > s1);
  expect(long, `long tasks while training (${Math.round(t0)}–${Math.round(t1)} ms, screenshot ${Math.round(s0)}–${Math.round(s1)}); slowest chart draws (ms): ${await chartDrawsBetween(page, t0, t1)}; frames: ${await framesBetween(page, t0, t1)}`).toEqual([]);
}

async function exportWeights(page: Page): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export weights' }).click()]);
  expect(download.suggestedFilename()).toBe(`transformer-lab-reverse-step${STEPS}.weights.json`);
  return readFile((await download.path())!, 'utf8');
}

describe('the lab page on WebGPU (SwiftShader)', () => {
  let exported = '';

  it('opens on WebGPU when asked and shows the adapter', async () => {
    const { page } = browser;
    await page.goto(`${url}?preset=tiny&backend=webgpu`);
    expect(await waitForBackend(page)).toBe('WebGPU');
    expect(await page.getByRole('list', { name: 'Backends tried' }).textContent()).toContain('WebGPU: in use');
    expect(await page.locator('.adapter summary').textContent()).toMatch(/^Adapter: /);
    expect(await page.getByText('Cross-origin isolated').count()).toBe(1);
    // Every control has a name of its own (its label, its text or aria-label), not just its value.
    expect(await unnamedControls(page)).toEqual([]);
  }, 180_000);

  it('trains a tiny config from the UI: the loss falls, memory fills, no long tasks', async () => {
    await trainFromTheUi(browser.page, 'webgpu');
  }, 400_000);

  it('exports weights in the reference format, with every tensor', async () => {
    exported = await exportWeights(browser.page);
    const doc = JSON.parse(exported) as Record<string, unknown> & { tensors: Record<string, { shape: number[]; dtype: string; base64?: string }> };
    expect(doc.format).toBe(WEIGHTS_FORMAT);
    expect(doc.version).toBe(WEIGHTS_VERSION);
    expect(doc.config).toEqual(RUN.model);
    const specs = paramSpecs(RUN.model);
    expect(Object.keys(doc.tensors)).toEqual(specs.map((s) => s.name));
    for (const s of specs) expect(doc.tensors[s.name]).toMatchObject({ shape: s.shape, dtype: 'float32', base64: expect.any(String) });
    const parsed = parseWeightsText(exported); // decodes and checks every value
    expect([...parsed.tensors.values()].every((t) => t.values.every(Number.isFinite))).toBe(true);
    expect(doc.training).toEqual({ step: STEPS, run: RUN });
    expect(doc.optimizerState).toMatchObject({ name: 'adam', step: STEPS });
  });

  it('exports the metrics as CSV and the config as JSON', async () => {
    const { page } = browser;
    const download = async (name: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
      return { filename: d.suggestedFilename(), text: await readFile((await d.path())!, 'utf8') };
    };
    const csv = await download('Export metrics CSV');
    expect(csv.filename).toBe('transformer-lab-reverse.metrics.csv');
    const rows = csv.text.trim().split('\n');
    expect(rows[0]).toMatch(/^split,step,loss,lr,gradNorm,tokensPerSec,stepMs,/);
    expect(rows.filter((r) => r.startsWith('train,'))).toHaveLength(STEPS);
    expect(rows.filter((r) => r.startsWith('val,'))).toHaveLength(3);
    const config = await download('Export config');
    expect(config.filename).toBe('transformer-lab-reverse.config.json');
    expect(parseRunConfig(JSON.parse(config.text))).toEqual(RUN);
  });

  it("refuses a bad weights file with the engine's message and leaves the run untouched", async () => {
    const { page } = browser;
    await page.getByTestId('weights-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "nope"}') });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('format: must be "transformer-lab/weights" (got "nope")');
    await shot(page, 'lab-webgpu-bad-import.png', false);
    expect(await page.locator('.progress .state').textContent()).toBe('done');
    expect(await page.getByTestId('step').textContent()).toBe(String(STEPS));
    await page.getByRole('button', { name: 'Dismiss' }).click();
  });

  it('imports the exported weights: same evaluation, and training continues', async () => {
    const { page } = browser;
    const valLoss = await summaryValue(page, 'Val loss');
    await page.getByTestId('weights-file').setInputFiles({ name: 'w.json', mimeType: 'application/json', buffer: Buffer.from(exported) });
    await page.getByText(`Imported weights at step ${STEPS}`).waitFor({ timeout: 120_000 });
    // Loaded at its step and waiting: not "paused 24/24".
    expect(await waitForState(page, ['loaded'], 120_000)).toBe('loaded');
    expect(await page.locator('.progress-text').textContent()).not.toContain(`/ ${STEPS}`);
    await page.waitForFunction(() => document.querySelectorAll('[data-chart="accuracy"] .plot-dots circle').length > 0, null, { timeout: 60_000 });
    expect(await summaryValue(page, 'Val loss')).toBe(valLoss);
    await page.getByLabel('Train to step').fill(String(STEPS + 4));
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    expect(await waitForState(page, ['done', 'failed'], 120_000)).toBe('done');
    expect(await page.getByTestId('step').textContent()).toBe(String(STEPS + 4));
    await shot(browser.page, 'lab-webgpu-continued.png');
  }, 300_000);

  it('logged no console errors', () => {
    expect(browser.errors).toEqual([]);
  });
});

describe('the lab page on the wasm backend', () => {
  it('falls back to wasm when asked, saying why the others were passed over', async () => {
    const { page } = browser;
    await page.goto(`${url}?preset=tiny&backend=wasm`);
    expect(await waitForBackend(page)).toBe('WebAssembly');
    const tried = await page.getByRole('list', { name: 'Backends tried' }).textContent();
    expect(tried).toContain('WebGPU: not tried: the wasm backend was requested');
    expect(tried).toContain('WebAssembly: in use');
    // The isolated page's worker asks for every logical core (at most 8).
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Math.max(1, Math.min(8, cores));
    expect(await page.getByText(new RegExp(`wasm SIMD on, ${threads} XNNPACK threads?$`)).count()).toBe(1);
  }, 180_000);

  it('trains the same tiny config on wasm', async () => {
    await trainFromTheUi(browser.page, 'wasm');
  }, 400_000);

  it('lays out on a laptop screen and a wide monitor', async () => {
    const { page } = browser;
    for (const [name, width, height] of [['laptop', 1280, 800], ['wide', 2560, 1440]] as const) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(500); // the charts follow their containers' size
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBe(0); // no horizontal scrolling
      await shot(page, `lab-${name}.png`, false);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('logged no console errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
