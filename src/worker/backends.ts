/**
 * The backend chain in the browser: WebGPU, then WebGL, then wasm, then cpu. Each candidate is
 * set up and must run a small matmul correctly before it is accepted; every skipped or failed
 * one is reported with its reason. The wasm binaries are the app's own assets (Vite `?url`
 * imports), so nothing is fetched from a CDN.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { useBackend } from '../engine/backend';
import { registerHalfKernels } from '../engine/kernels/half';
import { sizeWasmThreadPool } from '../engine/internals/wasmThreads';
import { watchDevice } from '../engine/internals/webgpu';
import { isSoftwareAdapter } from './choose';
import { BackendFailure } from './errors';
import { BACKEND_ORDER, type AdapterReport, type BackendAttempt, type BackendChoice, type BackendName, type ReadyInfo } from './protocol';
import { withTimeout } from './timeout';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
tf.enableProdMode();

type Fail = (f: BackendFailure) => void;
type Extra = Partial<Pick<ReadyInfo, 'adapter' | 'wasm' | 'software'>>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The limits worth showing, in this order; any others the adapter lists follow. */
const LIMITS = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage'];

function adapterReport(adapter: GPUAdapter): AdapterReport {
  const limits: Record<string, number> = {};
  const source = adapter.limits as unknown as Record<string, unknown>;
  const keys = [...LIMITS];
  for (const k in source) if (!keys.includes(k)) keys.push(k);
  for (const k of keys) if (typeof source[k] === 'number') limits[k] = source[k];
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  return {
    vendor: info?.vendor || undefined,
    architecture: info?.architecture || undefined,
    device: info?.device || undefined,
    description: info?.description || undefined,
    limits,
    features: [...adapter.features].map(String).sort(),
  };
}

const gpuOf = () => (globalThis as { navigator?: Navigator & { gpu?: GPU } }).navigator?.gpu;

function describeAdapter(adapter: GPUAdapter): Pick<Extra, 'adapter' | 'software'> {
  const report = adapterReport(adapter);
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || (adapter as { info?: { isFallbackAdapter?: boolean } }).info?.isFallbackAdapter === true;
  return { adapter: report, software: isSoftwareAdapter(report, fallback) };
}

/**
 * The GPU adapter, when there is one, for a backend that does not use it: the run bar names the
 * GPU (and says when it is a software one) whichever backend trains. No device is made.
 */
async function adapterOnly(): Promise<Pick<Extra, 'adapter' | 'software'>> {
  try {
    const adapter = await setUpWithin(gpuOf()?.requestAdapter({ powerPreference: 'high-performance' }) ?? Promise.resolve(null), 'the GPU adapter');
    return adapter ? describeAdapter(adapter) : {};
  } catch {
    return {};
  }
}

async function initWebGPU(fail: Fail): Promise<Extra> {
  const gpu = gpuOf();
  if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter: navigator.gpu.requestAdapter() returned null (blocklisted or disabled GPU)');
  if (!tf.findBackendFactory('webgpu')) throw new Error('the WebGPU backend did not register');
  if (deviceLost) renewWebGPUBackend();
  await useBackend('webgpu');
  stopWatching = watchDevice((t) => {
    if (t.kind === 'lost') deviceLost = true;
    fail(new BackendFailure(t.kind === 'lost' ? 'device-lost' : 'oom', t.message));
  });
  return describeAdapter(adapter);
}

/** Whether the WebGPU backend's device was lost: the next set-up makes a new backend (and device). */
let deviceLost = false;
/** Stops watching the current device: switching backends on purpose is no trouble. */
let stopWatching = () => {};

/** A fresh WebGPU backend from TF.js's factory: the old one holds a device that is gone. */
function renewWebGPUBackend(): void {
  const factory = tf.findBackendFactory('webgpu');
  if (!factory) return;
  try {
    tf.removeBackend('webgpu');
  } catch {
    // disposing buffers of a lost device: nothing left to free
  }
  tf.registerBackend('webgpu', factory, WEBGPU_PRIORITY);
  deviceLost = false;
}

/** tfjs-backend-webgpu's own registration priority. */
const WEBGPU_PRIORITY = 3;

/**
 * XNNPACK threads for the wasm backend (used only when the page is cross-origin isolated): every
 * logical core (sizeWasmThreadPool caps it at 8). TF.js alone would take half the cores. Measured
 * on 2 cores (README, "Threads"): the second thread trains 1.09-1.17x faster, and the page's main
 * thread still runs no task over 50 ms beside a CPU-bound process (newcomer.browser.test.ts).
 */
const wasmThreads = (cores: number | undefined) => Math.max(1, cores ?? 1);
let wasmPoolSized = false;

async function initWasm(): Promise<Extra> {
  // Before the backend's module starts: it reads the core count once (internals/wasmThreads.ts).
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (!wasmPoolSized && nav) {
    wasmPoolSized = true;
    sizeWasmThreadPool(wasmThreads(nav.hardwareConcurrency), nav);
  }
  await useBackend('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  // The pool XNNPACK computes on: 1 without the threaded build (a page that is not cross-origin isolated).
  return { wasm: { simd: Boolean(simd), threads: getThreadsCount() } };
}

const INIT: Record<BackendName, (fail: Fail) => Promise<Extra>> = {
  webgpu: initWebGPU,
  webgl: async () => {
    await useBackend('webgl');
    return {};
  },
  wasm: initWasm,
  cpu: async () => {
    await useBackend('cpu');
    return {};
  },
};

/** A 2×2 matmul read back: a backend that sets up but cannot compute is not accepted. */
async function smokeTest(): Promise<void> {
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
  const got = Array.from(await product.data());
  product.dispose();
  if (got.join() !== '19,22,43,50') throw new Error(`a test matmul gave [${got.join(', ')}] instead of [19, 22, 43, 50]`);
}

/** A backend that neither works nor fails within this time (a hung wasm thread pool, a stuck driver) is passed over. */
const INIT_TIMEOUT_MS = 45_000;

const setUpWithin = <T>(work: Promise<T>, what: string): Promise<T> =>
  withTimeout(work, INIT_TIMEOUT_MS, `${what} did not finish setting up within ${INIT_TIMEOUT_MS / 1000} s`);

/** Sets up exactly one backend and checks that it computes (a probe's backend: no fallback). */
export async function initOne(backend: BackendName, fail: Fail): Promise<Extra> {
  const extra = await setUpWithin(INIT[backend](fail).then(async (x) => (await smokeTest(), x)), backend);
  registerHalfKernels();
  return extra;
}

/** Tries the backends from `choice` on (all of them for `auto`) and keeps the first that works. */
export async function initBackendChain(choice: BackendChoice, fail: Fail, chosen = false): Promise<ReadyInfo> {
  stopWatching();
  const from = choice === 'auto' ? 0 : BACKEND_ORDER.indexOf(choice);
  const attempts: BackendAttempt[] = BACKEND_ORDER.slice(0, from).map((backend) => ({
    backend, ok: false, reason: `not tried: the ${choice} backend was ${chosen ? 'chosen by timing' : 'requested'}`,
  }));
  for (const backend of BACKEND_ORDER.slice(from)) {
    try {
      const extra = await initOne(backend, fail);
      attempts.push({ backend, ok: true });
      const gpu = extra.adapter ? {} : await adapterOnly();
      return { backend, attempts, isolated: globalThis.crossOriginIsolated === true, ...gpu, ...extra };
    } catch (e) {
      attempts.push({ backend, ok: false, reason: message(e) });
    }
  }
  throw new Error(`no backend could be set up: ${attempts.map((a) => `${a.backend}: ${a.reason ?? 'failed'}`).join('; ')}`);
}
