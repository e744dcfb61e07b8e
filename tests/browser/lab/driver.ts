/** Page helpers for lab.browser.test.ts: the lab page driven the way a user drives it. */
import { mkdir, rm } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { buildApp, launch, serve, type Browser } from '../harness';

export const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;

declare global {
  interface Window {
    __longTasks?: { start: number; duration: number }[];
    __frames?: { start: number; duration: number; scripts: string[] }[];
    /** Every handler of a worker message: when it ran and how long it took, microtasks it queued included. */
    __handlers?: { start: number; duration: number }[];
  }
}

/**
 * Times every worker 'message' listener of the page: the listener itself and the microtasks it
 * queued (a React render scheduled from it runs there), by a microtask queued after it.
 */
export async function watchMessageHandlers(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__handlers = [];
    const add = Worker.prototype.addEventListener;
    Worker.prototype.addEventListener = function (this: Worker, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
      if (type !== 'message' || typeof listener !== 'function') return add.call(this, type, listener!, options);
      const timed = function (this: Worker, e: Event) {
        const start = performance.now();
        try {
          (listener as (e: Event) => void).call(this, e);
        } finally {
          queueMicrotask(() => window.__handlers!.push({ start, duration: performance.now() - start }));
        }
      };
      return add.call(this, type, timed, options);
    } as typeof Worker.prototype.addEventListener;
  });
}

export const handlersBetween = (page: Page, from: number, to: number) =>
  page.evaluate(([a, b]) => (window.__handlers ?? []).filter((h) => h.start >= a! && h.start <= b!), [from, to]);

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

/** The longest chart draws (drawQueue's user-timing entries) between two times, for a failure message. */
export const chartDrawsBetween = (page: Page, from: number, to: number) =>
  page.evaluate(([a, b]) => JSON.stringify(performance.getEntriesByName('chart draw').filter((e) => e.startTime >= a! && e.startTime <= b!).map((e) => Math.round(e.duration)).sort((x, y) => y - x).slice(0, 10)), [from, to]);

/** The long animation frames between two times, for a failure message. */
export const framesBetween = (page: Page, from: number, to: number) =>
  page.evaluate(([a, b]) => JSON.stringify((window.__frames ?? []).filter((f) => f.start + f.duration >= a! && f.start <= b!).map((f) => ({ ...f, start: Math.round(f.start), duration: Math.round(f.duration) }))), [from, to]);

/** Waits until the backend is set up (chosen by timing, or the one asked for) and returns its name as the header shows it. */
export async function waitForBackend(page: Page, timeout = 120_000): Promise<string> {
  const badge = page.getByTestId('backend-name');
  await page.waitForFunction(() => {
    const status = document.querySelector('[data-testid=backend-name]')?.getAttribute('data-status');
    return status === 'ready' || status === 'error';
  }, null, { timeout });
  return (await badge.textContent()) ?? '';
}

/** The run bar's main button (Start, Pause, Resume…). */
export const mainAction = (page: Page) => page.getByTestId('main-action');

/** Waits until the run's state label reads one of `states` (e.g. Done, Paused). */
export async function waitForState(page: Page, states: string[], timeout: number): Promise<string> {
  await page.waitForFunction(
    (wanted) => wanted.includes((document.querySelector('.progress .state')?.textContent ?? '').toLowerCase()),
    states.map((s) => s.toLowerCase()),
    { timeout, polling: 250 },
  );
  return (await page.locator('.progress .state').textContent()) ?? '';
}

/**
 * Arms a watch for the end of the run the next click starts: 'done' or 'failed' counts only
 * once the state has been something else, so a restored or failed run's label shown before the
 * click is not taken for the new run's end. Returns the wait for that end.
 */
export async function armRunEnd(page: Page): Promise<(timeout: number) => Promise<string>> {
  await page.evaluate(() => {
    const w = window as unknown as { __runEnd: string | null };
    w.__runEnd = null;
    let started = false;
    const observer = new MutationObserver(() => {
      const state = (document.querySelector('.progress .state')?.textContent ?? '').toLowerCase();
      if (state !== 'done' && state !== 'failed') started = state !== '';
      else if (started) {
        w.__runEnd = state;
        observer.disconnect();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return async (timeout) => {
    await page.waitForFunction(() => (window as unknown as { __runEnd: string | null }).__runEnd !== null, null, { timeout, polling: 250 });
    return page.evaluate(() => (window as unknown as { __runEnd: string }).__runEnd);
  };
}

/** The y pixel coordinates of a chart line, left to right (SVG y grows downwards). */
export async function lineYs(page: Page, chart: string, stroke: string): Promise<number[]> {
  const d = await page.locator(`[data-chart="${chart}"] path.plot-line[stroke="${stroke}"]`).first().getAttribute('d');
  const pairs = [...(d ?? '').matchAll(/(-?[\d.]+(?:e-?\d+)?),(-?[\d.]+(?:e-?\d+)?)/g)];
  return pairs.map((m) => Number(m[2]));
}

/** Sets a config field by its label, as typing would. */
export async function setField(page: Page, label: string, value: string): Promise<void> {
  const input = page.getByRole('form', { name: 'Run configuration' }).getByLabel(label, { exact: true });
  await input.fill(value);
}

/** The number of points of a chart line: one "x,y" pair each. */
export const linePoints = (page: Page, chart: string, stroke: string) =>
  page.evaluate(([c, s]) => document.querySelector(`[data-chart="${c}"] path.plot-line[stroke="${s}"]`)?.getAttribute('d')?.match(/,/g)?.length ?? 0, [chart, stroke] as const);

/**
 * Controls without an accessible name, or named only by their value ("on", "0.60"), as Chromium's
 * accessibility tree computes names (CDP Accessibility.getFullAXTree).
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; value?: { value: unknown } }[] };
  await cdp.detach();
  const CONTROLS = new Set(['button', 'checkbox', 'combobox', 'textbox', 'slider', 'spinbutton', 'link', 'switch', 'radio', 'menuitem', 'tab', 'ListBox', 'listbox', 'DisclosureTriangle']);
  return nodes
    .filter((n) => !n.ignored && n.role && CONTROLS.has(n.role.value))
    .filter((n) => {
      const name = (n.name?.value ?? '').trim();
      const value = String(n.value?.value ?? '').trim();
      return name === '' || (value !== '' && name === value) || /^(on|off|\d+(\.\d+)?)$/.test(name);
    })
    .map((n) => `${n.role!.value} "${n.name?.value ?? ''}" (value ${String(n.value?.value ?? '')})`);
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

/**
 * Sends a command straight to the training worker (the worker named "training": wasm threads and
 * probes are workers too), through its own message handler: for what the page never sends
 * (the protocol's test-only commands, a leak check's reading).
 */
export async function sendToTrainingWorker(page: Page, command: unknown): Promise<void> {
  for (const worker of page.workers()) {
    if ((await worker.evaluate(() => (self as unknown as { name: string }).name)) !== 'training') continue;
    await worker.evaluate((c) => (self as unknown as { onmessage(e: { data: unknown }): void }).onmessage({ data: c }), command);
    return;
  }
  throw new Error(`no training worker among ${page.workers().length} workers`);
}
