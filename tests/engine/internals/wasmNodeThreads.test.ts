import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import threadedWorker from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

/*
 * What src/engine/internals/wasmNodeThreads.ts relies on in tfjs-backend-wasm 4.22 and its
 * emscripten glue. If an upgrade moves any of it, these fail; tests/cli/cli.test.ts runs the
 * threaded build end to end (`--threads 2`).
 */

const require = createRequire(import.meta.url);
const tfjsInit = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
/** The threaded build's emscripten script, the file the workers load as their main script. */
const factory = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8');
const worker = threadedWorker.wasmWorkerContents;

describe('TF.js hands emscripten its threaded scripts as blobs', () => {
  it('the main script is a Blob of the factory\'s source, which the wasm-out script defines under the name the worker calls', () => {
    expect(tfjsInit).toContain('factoryConfig.mainScriptUrlOrBlob = new Blob(["var WasmBackendModuleThreadedSimd = " +');
    expect(factory).toMatch(/^\s*var WasmBackendModuleThreadedSimd = \(\(\) => \{/);
    expect(worker).toContain('WasmBackendModuleThreadedSimd(Module)');
  });

  it('the worker script is a blob: URL of wasmWorkerContents, its newlines escaped', () => {
    expect(tfjsInit).toContain("var response = wasmWorkerContents.replace(/\\n/g, '\\\\n');");
    expect(tfjsInit).toContain('return URL.createObjectURL(blob);');
  });
});

describe('emscripten\'s glue in Node', () => {
  it('takes its Worker class from worker_threads when the module starts', () => {
    expect(factory).toContain('nodeWorkerThreads=require("worker_threads")');
    expect(factory).toContain('global.Worker=nodeWorkerThreads.Worker');
    expect(factory).toContain('worker=new Worker(pthreadMainJs)');
  });

  it('sends the main script in a "load" message, and refs a worker while its thread runs', () => {
    expect(factory).toContain('"cmd":"load"');
    expect(factory).toContain('"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir');
    expect(factory).toContain('if(ENVIRONMENT_IS_NODE){worker.ref()}');
  });

  it('counts logical cores with os.cpus()', () => {
    expect(factory).toContain('if(ENVIRONMENT_IS_NODE)return require("os").cpus().length');
  });

  it('the worker loads a main script given as a path with fs in Node', () => {
    expect(worker).toContain('if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}');
    expect(worker).toContain('importScripts:function(f){(0,eval)(fs.readFileSync(f,"utf8")');
  });
});
