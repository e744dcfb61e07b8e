import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileOnly, releaseCachedMemory, webgpuDevice, webgpuHasShaderF16, webgpuPoolBytes } from '../../../src/engine/internals/webgpu';
import { webgpuAdapter } from '../../../src/cli/nodeBackend';
import { onBackend } from '../../helpers/backends';

/** What internals/webgpu.ts takes from tfjs-backend-webgpu 4.22: each fails if TF.js moves. */
type Internals = { device: GPUDevice; pipelineCache: Record<string, GPUComputePipeline | Promise<GPUComputePipeline>> };
const backend = () => tf.backend() as unknown as Internals;

describe('the tfjs-backend-webgpu internals the engine relies on', () => {
  beforeAll(() => onBackend('webgpu'));

  it('the backend runs on the device our factory opened, with shader-f16 exactly where the adapter has it', () => {
    const device = webgpuDevice();
    expect(backend().device).toBe(device);
    const adapterHas = webgpuAdapter()!.features.includes('shader-f16');
    expect(device.features.has('shader-f16')).toBe(adapterHas);
    expect(webgpuHasShaderF16()).toBe(adapterHas);
    expect(device.features.has('timestamp-query')).toBe(webgpuAdapter()!.features.includes('timestamp-query'));
  });

  it('compile-only mode compiles pipelines asynchronously and runs nothing; checkCompileCompletionAsync settles them', async () => {
    const x = tf.tensor1d([1, 2, 3, 4]);
    const before = Object.keys(backend().pipelineCache).length;
    // An op no other test runs here, so that its pipeline is new.
    const y = await compileOnly(() => tf.atanh(x.div(8)));
    expect(tf.env().getBool('WEBGPU_ENGINE_COMPILE_ONLY')).toBe(false);
    const cache = backend().pipelineCache;
    expect(Object.keys(cache).length).toBeGreaterThan(before);
    for (const p of Object.values(cache)) expect(p).not.toBeInstanceOf(Promise);
    y.dispose();
    // Run for real, the same pipeline gives the values.
    const z = tf.atanh(x.div(8));
    expect(Array.from(await z.data()).map((v) => v.toFixed(5))).toEqual([1, 2, 3, 4].map((v) => Math.atanh(v / 8).toFixed(5)));
    tf.dispose([x, z]);
  });

  it('memory() has the bytes in use and the pool\'s allocated bytes, which never shrink', async () => {
    const big = tf.zeros([1 << 18]).add(1);
    await big.data();
    const during = webgpuPoolBytes()!;
    expect(during.inUse).toBeGreaterThanOrEqual(4 << 18);
    expect(during.allocated).toBeGreaterThanOrEqual(during.inUse);
    big.dispose();
    const after = webgpuPoolBytes()!;
    expect(after.inUse).toBeLessThan(during.inUse);
    expect(after.allocated).toBe(during.allocated);
  });
});

describe('releasing the WebGPU buffer pool', () => {
  beforeAll(() => onBackend('webgpu'));

  it('frees the pooled buffers, keeps live tensors, and pools again afterwards', async () => {
    const kept = tf.tensor1d([1, 2, 3]).add(1);
    const big = tf.zeros([1 << 18]).add(1);
    await big.data();
    big.dispose();
    const pooled = webgpuPoolBytes()!;
    expect(pooled.allocated - pooled.inUse).toBeGreaterThanOrEqual(4 << 18);
    const released = releaseCachedMemory();
    const after = webgpuPoolBytes()!;
    expect(released).toBe(pooled.allocated - after.allocated);
    expect(after.allocated).toBe(after.inUse);
    expect(after.inUse).toBe(pooled.inUse);
    expect(Array.from(await kept.data())).toEqual([2, 3, 4]);
    // The pool still works: a disposed tensor's buffer goes back to it, and is released again.
    const again = tf.zeros([1 << 16]).add(2);
    expect((await again.data())[7]).toBe(2);
    again.dispose();
    const repooled = webgpuPoolBytes()!;
    expect(repooled.allocated - repooled.inUse).toBeGreaterThanOrEqual(4 << 16);
    expect(releaseCachedMemory()).toBe(repooled.allocated - repooled.inUse);
    kept.dispose();
  });
});
