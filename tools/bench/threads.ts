/**
 * Which XNNPACK thread count and matmul route train fastest in a browser: headless Chromium,
 * a cross-origin isolated page (tools/bench/threads/), the wasm backend's threaded build with
 * 1 … `--max` threads, and in each page the two matmul routes of internals/wasmMatMul.ts taking
 * turns on training steps of configs/bench.json.
 *
 *   npx tsx tools/bench/threads.ts [--max N] [--rounds N]
 */
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildPage, launch, serve } from '../../tests/browser/harness';
import type { ThreadsBench } from './threads/page';

const { values: flags } = parseArgs({ options: { max: { type: 'string' }, rounds: { type: 'string', default: '6' } } });
const max = Number(flags.max ?? cpus().length);
const dir = await buildPage(path.join(path.dirname(fileURLToPath(import.meta.url)), 'threads'));
const server = await serve(dir);
console.log(`machine: ${cpus().length} logical cores (${cpus()[0]?.model ?? 'unknown CPU'})`);
console.log('threads  route        median step');
try {
  for (let threads = 1; threads <= max; threads++) {
    const browser = await launch();
    try {
      await browser.page.goto(`${server.url}?threads=${threads}&rounds=${flags.rounds}`);
      await browser.page.waitForFunction(() => (globalThis as { __threadsBench?: ThreadsBench }).__threadsBench?.done, null, { timeout: 900_000, polling: 500 });
      const state = await browser.page.evaluate(() => (globalThis as unknown as { __threadsBench: ThreadsBench }).__threadsBench);
      if (state.error) throw new Error(state.error);
      if (!state.isolated) throw new Error('the page is not cross-origin isolated: no threads');
      for (const [route, ms] of Object.entries(state.medians ?? {})) {
        console.log(`${String(state.threads).padStart(7)}  ${route.padEnd(11)}  ${ms.toFixed(1)} ms`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
