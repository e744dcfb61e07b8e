import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import workerThreads from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import threadedWorker from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
import { POOL_WORKERS } from './wasmThreads';

/*
 * tfjs-backend-wasm 4.22's threaded build in Node, for the command line only (this file imports
 * Node's modules; nothing the browser bundles imports it). TF.js turns threads off in Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false there) because its init hands emscripten the pthread
 * worker's script as a blob: URL and the main script as a Blob of the factory's source, and
 * Node's worker_threads loads neither. Emscripten's glue takes its Worker class from
 * require('worker_threads') when the module starts; a subclass put there for that moment loads
 * the worker's script from a file written from TF.js's text of it, and hands the worker the
 * main script's own file (tfjs-backend-wasm's wasm-out/tfjs-backend-wasm-threaded-simd.js, whose
 * source, unlike the factory's in a bundle, stands alone). XNNPACK's pool gets min(count,
 * logical cores / 2) threads, the cores read from os.cpus(), so os.cpus reports twice the count
 * while the backend starts (wasmThreads.ts does the same with navigator.hardwareConcurrency in
 * browsers). Both are put back once it has started; emscripten keeps the subclass as its global
 * Worker.
 */

type WorkerClass = typeof workerThreads.Worker;

/** The scripts a pthread worker loads, as files. */
interface ScriptFiles {
  worker: string;
  main: string;
}

/** TF.js's pthread worker script, written to a temporary file. */
function writeWorkerScript(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-wasm-threads-'));
  // Workers load it whenever the pool grows, so it stays until the process ends.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'pthread-worker.cjs');
  // TF.js escapes the text's newlines the same way before it makes its Blob: the text holds "\n"
  // escapes inside string literals, which its template literal turned into newlines.
  writeFileSync(file, threadedWorker.wasmWorkerContents.replace(/\n/g, '\\n'));
  return file;
}

/**
 * Node's Worker, loading TF.js's pthread scripts from `files`. It never keeps the process
 * alive: XNNPACK's threads wait for work until the process ends, and the main thread only
 * ever waits for them synchronously, inside a kernel.
 */
function pthreadWorker(Base: WorkerClass, files: ScriptFiles): WorkerClass {
  return class extends Base {
    constructor(script: string | URL, options?: workerThreads.WorkerOptions) {
      super(typeof script === 'string' && script.startsWith('blob:') ? files.worker : script, options);
    }

    override ref(): void {}

    override postMessage(message: unknown, transfer?: Parameters<InstanceType<WorkerClass>['postMessage']>[1]): void {
      const load = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      // Emscripten's "load" message names the main script for the worker's importScripts.
      const fixed = load?.cmd === 'load' && typeof load.urlOrBlob !== 'string' ? { ...load, urlOrBlob: files.main } : message;
      super.postMessage(fixed, transfer);
    }
  };
}

/**
 * Runs `start` (which must start the wasm backend for the first time in this process) with
 * XNNPACK's pool at `threads` threads (1 to 8); throws when the backend reports another count.
 * `mainScript` is the path of tfjs-backend-wasm's wasm-out/tfjs-backend-wasm-threaded-simd.js.
 * One thread leaves TF.js as it is.
 */
export async function startWasmWithThreads(threads: number, mainScript: string, start: () => Promise<void>): Promise<void> {
  if (!Number.isInteger(threads) || threads < 1 || threads > POOL_WORKERS) throw new Error(`XNNPACK threads must be a whole number from 1 to ${POOL_WORKERS} (got ${threads})`);
  if (threads === 1) return start();
  if (!existsSync(mainScript)) throw new Error(`the threaded wasm backend's script is not at ${mainScript}`);
  const files = { worker: writeWorkerScript(), main: mainScript };
  const modules = workerThreads as { Worker: WorkerClass };
  const node = { Worker: modules.Worker, cpus: os.cpus };
  modules.Worker = pthreadWorker(node.Worker, files);
  const cpu = node.cpus()[0]!;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpu);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  try {
    await start();
  } finally {
    modules.Worker = node.Worker;
    os.cpus = node.cpus;
  }
  const started = getThreadsCount();
  if (started !== threads) throw new Error(`the wasm backend started with ${started} XNNPACK threads, not ${threads}: it had started before`);
}
