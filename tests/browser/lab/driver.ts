/** Page helpers for lab.browser.test.ts: the lab page driven the way a user drives it. */
import { mkdir, rm } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { buildApp, launch, serve, type Browser } from '../harness';

export const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;

declare global {
  interface Window {
    __longTasks?: { start: number; duration: number }[];
    __frames?: { start: number; duration: number; scripts: string[] }[];
  }
}

/** Records every main-thread long task (> 50 ms) from the first script on. */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks!.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    // Long animation frames name the scripts that ran in them: the explanation when a long task shows up.
    window.__frames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { scripts?: { invoker: string; duration: number; sourceFunctionName: string }[] })[]) {
        window.__frames!.push({ start: e.startTime, duration: e.duration, scripts: (e.scripts ?? []).map((s) => `${s.invoker} ${Math.round(s.duration)} ms ${s.sourceFunctionName}`) });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  });
}

export const now = (page: Page) => page.evaluate(() => performance.now());

export const longTasksBetween = (page: Page, from: number, to: number) =>
  page.evaluate(([a, b]) => (window.__longTasks ?? []).filter((t) => t.start + t.duration >= a! && t.start <= b!), [from, to]);

/** The long animation frames between two times, for a failure message. */
export const framesBetween = (page: Page, from: number, to: number) =>
  page.evaluate(([a, b]) => JSON.stringify((window.__frames ?? []).filter((f) => f.start + f.duration >= a! && f.start <= b!).map((f) => ({ ...f, start: Math.round(f.start), duration: Math.round(f.duration) }))), [from, to]);

export async function waitForBackend(page: Page, timeout = 120_000): Promise<string> {
  const badge = page.getByTestId('backend-name');
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid=backend-name]')?.textContent ?? '';
    return t !== '' && !t.includes('starting');
  }, null, { timeout });
  return (await badge.textContent()) ?? '';
}

/** Waits until the run's state label reads one of `states` (e.g. Done, Paused). */
export async function waitForState(page: Page, states: string[], timeout: number): Promise<string> {
  await page.waitForFunction(
    (wanted) => wanted.includes((document.querySelector('.progress .state')?.textContent ?? '').toLowerCase()),
    states.map((s) => s.toLowerCase()),
    { timeout, polling: 250 },
  );
  return (await page.locator('.progress .state').textContent()) ?? '';
}

/** The y pixel coordinates of a chart line, left to right (SVG y grows downwards). */
export async function lineYs(page: Page, chart: string, stroke: string): Promise<number[]> {
  const d = await page.locator(`[data-chart="${chart}"] path.recharts-line-curve[stroke="${stroke}"]`).first().getAttribute('d');
  const pairs = [...(d ?? '').matchAll(/(-?[\d.]+(?:e-?\d+)?),(-?[\d.]+(?:e-?\d+)?)/g)];
  return pairs.map((m) => Number(m[2]));
}

/** Sets a config field by its label, as typing would. */
export async function setField(page: Page, label: string, value: string): Promise<void> {
  const input = page.getByRole('form', { name: 'Run configuration' }).getByLabel(label, { exact: true });
  await input.fill(value);
}

export const summaryValue = (page: Page, term: string) =>
  page.locator('.summary > div', { has: page.locator('dt', { hasText: term }) }).locator('dd').textContent();

/** The built app served locally with Chromium open on it; `close` tears all of it down. */
export async function openApp(viewport: { width: number; height: number }): Promise<{ url: string; browser: Browser; close: () => Promise<void> }> {
  await mkdir(ARTIFACTS, { recursive: true });
  const dir = await buildApp();
  const server = await serve(dir);
  const browser = await launch();
  await browser.page.setViewportSize(viewport);
  return {
    url: server.url,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
