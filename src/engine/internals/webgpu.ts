import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/*
 * What the engine takes from tfjs-backend-webgpu beyond its public API (TF.js 4.22;
 * tests/engine/internals/webgpu.test.ts fails if any of this moves):
 *
 * 1. The backend is `new WebGPUBackend(device, adapterInfo)`: registering our own factory is how
 *    the device gets `shader-f16` (TF.js's factory asks only for timestamp-query and
 *    bgra8unorm-storage) and how Node picks its adapter. `backend.device` is that device.
 * 2. With the flag `WEBGPU_ENGINE_COMPILE_ONLY` set, `runWebGPUProgram` creates each pipeline
 *    asynchronously and records nothing: outputs are allocated and never written.
 *    `backend.checkCompileCompletionAsync()` waits for every pipeline in the cache.
 * 3. Every shader goes through `device.createShaderModule` with TF.js's prelude first, so a
 *    kernel cannot put WGSL's `enable f16;` (which must come first) in its own code: on a device
 *    with `shader-f16`, a module whose code carries ENABLE_F16 gets the directive put in front.
 * 4. `backend.memory()` (what `tf.memory()` merges in) has `numBytesInGPU`, the bytes of buffers
 *    in use, and `numBytesAllocatedInGPU`, every buffer the pool holds (it never shrinks).
 */

/** The line a kernel's WGSL carries to be compiled with `enable f16;` (only asked for where the device has shader-f16). */
export const ENABLE_F16 = '// lab:enable-f16';

const TFJS_PRIORITY = 3;

/** Devices our factory opened on a fallback (CPU) adapter such as SwiftShader. */
const onFallback = new WeakSet<GPUDevice>(); // TF.js's own for webgpu: first choice where it can run

/**
 * Makes the 'webgpu' backend open its device on the adapter that `requestAdapter` finds
 * (called again for each new backend: an adapter hands out one device), with `shader-f16`
 * and `timestamp-query` when the adapter offers them and TF.js's own limits.
 */
export function registerWebGPUBackend(requestAdapter: () => Promise<GPUAdapter | null>): void {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await requestAdapter();
      if (!adapter) throw new Error('no WebGPU adapter');
      const wanted: GPUFeatureName[] = ['timestamp-query', 'shader-f16'];
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: wanted.filter((f) => adapter.features.has(f)),
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      if ((adapter as GPUAdapter & { info?: { isFallbackAdapter?: boolean } }).info?.isFallbackAdapter) onFallback.add(device);
      if (device.features.has('shader-f16')) {
        const create = device.createShaderModule.bind(device);
        device.createShaderModule = (d: GPUShaderModuleDescriptor) => create(d.code.includes(ENABLE_F16) ? { ...d, code: `enable f16;\n${d.code}` } : d);
      }
      return new WebGPUBackend(device, (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info);
    },
    TFJS_PRIORITY,
  );
}

function webgpuBackend(): WebGPUBackend {
  if (tf.getBackend() !== 'webgpu') throw new Error(`the WebGPU backend is not the current one (${tf.getBackend()})`);
  return tf.backend() as WebGPUBackend;
}

/** The current WebGPU backend's device. */
export const webgpuDevice = (): GPUDevice => webgpuBackend().device;

/** Whether the current backend is WebGPU on a device our factory opened on a CPU fallback adapter (SwiftShader). */
export function webgpuOnFallbackAdapter(): boolean {
  return tf.getBackend() === 'webgpu' && onFallback.has(webgpuBackend().device);
}

/** Whether the current backend is WebGPU on a device that computes in native half (`f16` in WGSL). */
export function webgpuHasShaderF16(): boolean {
  return tf.getBackend() === 'webgpu' && webgpuBackend().device.features.has('shader-f16');
}

/**
 * Runs `f` with every WebGPU program compiled and none run, then waits until the compiles are
 * done. Whatever `f` makes holds unwritten buffers: it must read nothing, keep nothing and
 * assign nothing (the caller disposes what it returns). A no-op wrapper on other backends.
 */
export async function compileOnly<T>(f: () => T): Promise<T> {
  if (tf.getBackend() !== 'webgpu') return f();
  const backend = webgpuBackend();
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  let out: T;
  try {
    out = f();
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
  }
  await backend.checkCompileCompletionAsync();
  return out;
}

/** Bytes in GPU buffers in use and in every buffer the pool holds; null off WebGPU. */
export function webgpuPoolBytes(): { inUse: number; allocated: number } | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const m = webgpuBackend().memory() as { numBytesInGPU: number; numBytesAllocatedInGPU: number };
  return { inUse: m.numBytesInGPU, allocated: m.numBytesAllocatedInGPU };
}

/**
 * Frees the buffers TF.js's pool keeps for reuse (the lab's `torch.cuda.empty_cache`): buffers
 * of live tensors stay. Returns the bytes released. The pool's maps keep their keys, because
 * BufferManager.releaseBuffer (4.22) stops pooling once its free map is empty.
 */
export function releaseCachedMemory(): number {
  if (tf.getBackend() !== 'webgpu') return 0;
  const pool = (webgpuBackend() as unknown as { bufferManager: BufferPool }).bufferManager;
  let released = 0;
  for (const buffers of pool.freeBuffers.values()) {
    for (const buffer of buffers) {
      released += buffer.size;
      buffer.destroy();
    }
    buffers.length = 0;
  }
  pool.numFreeBuffers = 0;
  pool.numBytesAllocated -= released;
  return released;
}

/** The fields of tfjs-backend-webgpu's BufferManager that releaseCachedMemory changes. */
interface BufferPool {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/** What went wrong with the GPU under a run. */
export interface DeviceTrouble {
  kind: 'lost' | 'out-of-memory';
  message: string;
}

/**
 * Calls `onTrouble` once when the current WebGPU device is lost (destroyed, a driver reset, a
 * tab in the background too long) or when an allocation fails on it: TF.js 4.22 watches
 * neither, and its next read would hang or throw far from the cause. Returns a function that
 * stops watching (a later loss is then ignored).
 */
export function watchDevice(onTrouble: (t: DeviceTrouble) => void): () => void {
  const device = webgpuDevice();
  let watching = true;
  const report = (t: DeviceTrouble) => {
    if (!watching) return;
    watching = false;
    onTrouble(t);
  };
  void device.lost.then((info) => report({ kind: 'lost', message: `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})` }));
  const onError = (e: Event) => {
    const error = (e as GPUUncapturedErrorEvent).error;
    // By name: Node's Dawn bindings need not put the error classes on globalThis.
    if (error.constructor.name === 'GPUOutOfMemoryError') {
      report({ kind: 'out-of-memory', message: `the GPU ran out of memory (${error.message})` });
    }
  };
  device.addEventListener('uncapturederror', onError);
  return () => {
    watching = false;
    device.removeEventListener('uncapturederror', onError);
  };
}
