import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfCases } from '../engine/kernels/halfCases';
import { buildPage, launch, serve } from './harness';
import type { PageState } from './kernels/page';
import { PASSES } from './kernels/passes';

/**
 * The same cases as tests/engine/kernels/half.test.ts in headless Chromium, for what needs a
 * page: the composite fallback on WebGL. The WGSL kernels run in Node (WebGPU through Dawn).
 */
let state: PageState;
let errors: string[] = [];
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  const dir = await buildPage(path.join(__dirname, 'kernels'));
  const server = await serve(dir);
  const stopServer = async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  };
  cleanup = stopServer;
  const browser = await launch();
  cleanup = async () => {
    await browser.close();
    await stopServer();
  };
  errors = browser.errors;
  await browser.page.goto(server.url);
  await browser.page.waitForFunction(() => (globalThis as { __labHalf?: PageState }).__labHalf?.done, null, {
    timeout: 540_000, polling: 500,
  });
  state = await browser.page.evaluate(() => (globalThis as unknown as { __labHalf: PageState }).__labHalf);
  console.log(`WebGPU adapter: ${state.adapter}`);
  for (const [backend, pass] of Object.entries(state.passes)) {
    for (const r of pass.results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${backend.padEnd(6)} ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}`);
  }
});

afterAll(async () => {
  await cleanup();
});

it('the page ran without page or console errors', () => {
  expect(errors).toEqual([]);
});

for (const pass of PASSES) {
  describe(`half-precision ${pass.kernels ? 'kernels' : 'composite fallback'} on ${pass.backend} (headless Chromium)`, () => {
    it(`runs on ${pass.backend}, ${pass.kernels ? 'with' : 'without'} the custom kernels`, () => {
      const result = state.passes[pass.backend];
      expect(result?.error).toBeUndefined();
      expect(result?.backend).toBe(pass.backend);
      expect(result?.kernels).toBe(pass.kernels);
    });

    for (const c of halfCases(pass.options)) {
      it(c.name, () => {
        const result = state.passes[pass.backend]?.results.find((r) => r.name === c.name);
        if (!result) throw new Error('the page did not run this case');
        if (!result.ok) throw new Error(result.message);
      });
    }
  });
}
