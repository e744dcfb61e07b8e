/**
 * The browser side of tools/bench/threads.ts: the wasm backend with `?threads=N` XNNPACK threads
 * (cross-origin isolated), a training step of configs/bench.json timed on each matmul route in
 * turn, round after round. The results go to globalThis.__threadsBench.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { useBackend } from '../../../src/engine/backend';
import { installWasmKernels } from '../../../src/engine/internals/wasmKernels';
import type { MatMulRoute } from '../../../src/engine/internals/wasmMatMul';
import { sizeWasmThreadPool } from '../../../src/engine/internals/wasmThreads';
import { parseRunConfig } from '../../../src/engine/runConfig';
import { Trainer } from '../../../src/engine/train/trainer';
import bench from '../../../configs/bench.json';

export interface ThreadsBench {
  done: boolean;
  threads?: number;
  isolated?: boolean;
  /** Median step time per route, by route name. */
  medians?: Record<string, number>;
  error?: string;
}

const state: ThreadsBench = { done: false };
(globalThis as { __threadsBench?: ThreadsBench }).__threadsBench = state;

const ROUTES: Record<string, MatMulRoute> = {
  simd: { batched: 'simd', twoD: 'simd' },
  'xnnpack-2d': { batched: 'simd', twoD: 'xnnpack' },
};

async function main(): Promise<void> {
  const params = new URL(location.href).searchParams;
  const rounds = Number(params.get('rounds') ?? 6);
  setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
  sizeWasmThreadPool(Number(params.get('threads') ?? 1), navigator);
  await useBackend('wasm');
  state.threads = getThreadsCount();
  state.isolated = globalThis.crossOriginIsolated;
  const trainer = Trainer.create(parseRunConfig(bench));
  const times: Record<string, number[]> = {};
  for (let round = -2; round < rounds; round++) {
    for (const [name, route] of Object.entries(ROUTES)) {
      installWasmKernels(route);
      const { stepMs } = await trainer.trainStep();
      if (round >= 0) (times[name] ??= []).push(stepMs);
    }
  }
  trainer.dispose();
  state.medians = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!]));
}

main()
  .catch((e: unknown) => (state.error = e instanceof Error ? e.message : String(e)))
  .finally(() => (state.done = true));
void tf;
