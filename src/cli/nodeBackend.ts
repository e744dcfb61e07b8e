import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describeAdapter, type AdapterReport } from '../engine/adapter';
import { useBackend } from '../engine/backend';
import { startWasmWithThreads } from '../engine/internals/wasmNodeThreads';
import { registerWebGPUBackend } from '../engine/internals/webgpu';
import { ConfigError } from '../engine/validation';
import { findNodeAdapter, type AdapterSource } from './webgpu';

const NODE_BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export function parseBackend(value: string | undefined): NodeBackend {
  const name = value ?? 'wasm';
  if (!(NODE_BACKENDS as readonly string[]).includes(name)) {
    throw new ConfigError([{ path: '--backend', message: `must be one of ${NODE_BACKENDS.join(', ')} (got ${JSON.stringify(name)})` }]);
  }
  return name as NodeBackend;
}

/** The adapter the WebGPU backend runs on, once `startBackend('webgpu')` has found it. */
export interface NodeAdapterReport extends AdapterReport {
  source: AdapterSource;
}

let adapterInUse: NodeAdapterReport | null = null;

/** What `startBackend('webgpu')` found; null before, or when WebGPU was never started. */
export const webgpuAdapter = (): NodeAdapterReport | null => adapterInUse;

/** The installed tfjs-backend-wasm package's folder. */
function wasmPackage(): string {
  return path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** The wasm binaries: `LAB_TFJS_WASM_DIR` (the gpu kit sets it), else the installed package's. */
function wasmDir(): string {
  if (process.env.LAB_TFJS_WASM_DIR) return path.resolve(process.env.LAB_TFJS_WASM_DIR) + path.sep;
  return path.join(wasmPackage(), 'dist') + path.sep;
}

/** The threaded build's emscripten script, which its workers load: beside the kit's binaries, else the package's. */
function threadedWasmScript(): string {
  const name = 'tfjs-backend-wasm-threaded-simd.js';
  return process.env.LAB_TFJS_WASM_DIR ? path.join(path.resolve(process.env.LAB_TFJS_WASM_DIR), name) : path.join(wasmPackage(), 'wasm-out', name);
}

async function startWebGPU(): Promise<void> {
  if (!adapterInUse) {
    const found = await findNodeAdapter();
    let first: GPUAdapter | null = found.adapter;
    // The first backend takes the adapter we described; a later one (after a reset) asks anew.
    registerWebGPUBackend(async () => {
      const adapter = first ?? (await found.gpu.requestAdapter({ powerPreference: 'high-performance' }));
      first = null;
      return adapter;
    });
    adapterInUse = { ...describeAdapter(found.adapter), source: found.source };
  }
  await useBackend('webgpu');
}

/**
 * In Node the wasm binaries are read from disk rather than fetched; WebGPU comes from Dawn.
 * `wasmThreads` sizes XNNPACK's pool on wasm (1, TF.js's own choice in Node, unless asked).
 */
export async function startBackend(name: NodeBackend, wasmThreads = 1): Promise<void> {
  tf.enableProdMode();
  if (name === 'wasm') {
    setWasmPaths(wasmDir());
    await startWasmWithThreads(wasmThreads, threadedWasmScript(), () => useBackend('wasm'));
  } else if (name === 'webgpu') await startWebGPU();
  else await useBackend(name);
}
