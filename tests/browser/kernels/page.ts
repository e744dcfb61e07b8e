/**
 * The browser side of kernels.browser.test.ts: runs the shared half-precision cases on each
 * backend in PASSES and leaves the results in globalThis.__labHalf for the runner to read.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { hasHalfKernels } from '../../../src/engine/kernels/half';
import { halfCases } from '../../engine/kernels/halfCases';
import { PASSES, type Pass } from './passes';

export interface CaseResult {
  name: string;
  ok: boolean;
  message?: string;
  ms: number;
}

export interface PassResult {
  /** The backend TF.js ended up on. */
  backend?: string;
  /** Whether the custom kernels ran (rather than the composite fallback). */
  kernels?: boolean;
  results: CaseResult[];
  error?: string;
}

export interface PageState {
  done: boolean;
  adapter?: string;
  passes: Record<string, PassResult>;
}

const state: PageState = { done: false, passes: {} };
(globalThis as { __labHalf?: PageState }).__labHalf = state;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function runPass(pass: Pass, out: PassResult): Promise<void> {
  if (!(await tf.setBackend(pass.backend))) throw new Error(`the ${pass.backend} backend did not initialise`);
  await tf.ready();
  out.backend = tf.getBackend();
  out.kernels = hasHalfKernels();
  const limit = Number(new URLSearchParams(globalThis.location.search).get('limit')) || undefined;
  for (const c of halfCases({ ...pass.options, limit })) {
    const start = performance.now();
    try {
      await c.run(pass.impl);
      out.results.push({ name: c.name, ok: true, ms: performance.now() - start });
    } catch (e) {
      out.results.push({ name: c.name, ok: false, message: message(e), ms: performance.now() - start });
    }
  }
}

async function main(): Promise<void> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  const info = (await gpu?.requestAdapter())?.info;
  state.adapter = info ? `${info.vendor} ${info.architecture} ${info.description}`.trim() : 'none';
  for (const pass of PASSES) {
    const out: PassResult = { results: [] };
    state.passes[pass.backend] = out;
    await runPass(pass, out).catch((e: unknown) => {
      out.error = message(e);
    });
  }
}

main().finally(() => {
  state.done = true;
});
