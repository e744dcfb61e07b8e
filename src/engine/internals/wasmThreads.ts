import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/*
 * XNNPACK's thread pool in tfjs-backend-wasm 4.22's threaded build (browsers, cross-origin
 * isolated pages only) has min(setThreadsCount's count, emscripten_num_logical_cores() / 2)
 * threads (backend.cc: "Many x86-64 processors have 2 threads per core"), and the module reads
 * the logical cores from navigator.hardwareConcurrency when it starts. So the only way to the
 * count the machine has is to ask for it and let the module see twice as many cores. The
 * prebuilt pool holds 8 workers, the most it can use.
 */

/** At most this many threads: the workers tfjs-backend-wasm's threaded build creates up front. */
export const POOL_WORKERS = 8;

/**
 * Sizes the pool at `threads` (capped at 8). Call it before the wasm backend initialises, with the
 * global navigator of the context that will run it (a worker's). Returns the count asked for.
 */
export function sizeWasmThreadPool(threads: number, navigatorOfContext: { hardwareConcurrency?: number }): number {
  const count = Math.max(1, Math.min(POOL_WORKERS, Math.floor(threads)));
  setThreadsCount(count);
  Object.defineProperty(navigatorOfContext, 'hardwareConcurrency', { value: 2 * count, configurable: true });
  return count;
}
