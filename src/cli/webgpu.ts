import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * WebGPU in Node: Dawn's bindings (the npm package `webgpu`, a prebuilt `dawn.node`) give a
 * `navigator.gpu` that tfjs-backend-webgpu runs on unchanged. Dawn reaches the GPU through
 * Vulkan on Linux, so which adapter we get is the Vulkan loader's choice of drivers:
 *
 * 1. `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` set by the user: those drivers and no others.
 * 2. Otherwise, where the machine has a GPU device node (`/dev/nvidia*`, `/dev/dri/renderD*`),
 *    the system's drivers (a GPU's, e.g. NVIDIA's). Mesa's lavapipe is hidden on this try: Dawn
 *    refuses it anyway ("shaderUniform*ArrayDynamicIndexing required") and would print a
 *    warning about it on every run.
 * 3. None: SwiftShader (a CPU implementation of Vulkan) from Debian's chromium package, where
 *    it is installed. Right for correctness tests; its speed says nothing about a GPU. Without
 *    a GPU device node the system try is skipped (it can only fail, and Dawn logs the failure).
 */

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const VULKAN_LOADER = 'libvulkan.so.1';
const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

export type AdapterSource = 'system' | 'swiftshader' | 'VK_ICD_FILENAMES';

export interface NodeAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  source: AdapterSource;
}

interface Dawn {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Raised when this machine cannot run WebGPU; the message says what to install. */
export class WebGPUUnavailable extends Error {
  constructor(detail: string) {
    super(`--backend webgpu: ${detail}`);
    this.name = 'WebGPUUnavailable';
  }
}

/** Where dawn.node lies: `LAB_DAWN_NODE` (the gpu kit sets it), else inside the installed `webgpu` package. */
function dawnPath(): string {
  if (process.env.LAB_DAWN_NODE) return process.env.LAB_DAWN_NODE;
  const require = createRequire(import.meta.url);
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return path.join(path.dirname(require.resolve('webgpu/package.json')), 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

function loadDawn(): Dawn {
  const file = dawnPath();
  try {
    return createRequire(import.meta.url)(file) as Dawn;
  } catch (e) {
    throw new WebGPUUnavailable(`Dawn's bindings (${file}) did not load: ${(e as Error).message.split('\n')[0]}`);
  }
}

function hasGpuDeviceNode(): boolean {
  const list = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  return list('/dev').some((f) => /^nvidia\d+$/.test(f)) || list('/dev/dri').some((f) => f.startsWith('renderD'));
}

function hasVulkanLoader(): boolean {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIBRARY_DIRS];
  return dirs.some((d) => existsSync(path.join(d, VULKAN_LOADER)));
}

/** The message for a machine where no try found an adapter. */
export function noAdapterMessage(probe: { vulkanLoader: boolean; swiftshader: boolean; userIcd?: string }): string {
  if (probe.userIcd) return `no adapter from the Vulkan drivers named by VK_ICD_FILENAMES (${probe.userIcd}); unset it to let the lab look for one`;
  if (!probe.vulkanLoader) {
    return 'Vulkan is not installed: install libvulkan1 (Debian: apt-get install libvulkan1) and a Vulkan driver, ' +
      `your GPU's (NVIDIA's driver ships one) or, without a GPU, Debian's chromium, whose SwiftShader (${SWIFTSHADER_ICD}) is found by itself`;
  }
  const fallback = probe.swiftshader ? `SwiftShader (${SWIFTSHADER_ICD}) gave none either` : `without a GPU, install Debian's chromium: its SwiftShader (${SWIFTSHADER_ICD}) is found by itself`;
  return `Vulkan found no adapter that Dawn accepts (Mesa's lavapipe is refused): install your GPU's Vulkan driver; ${fallback}`;
}

async function requestAdapter(dawn: Dawn): Promise<{ gpu: GPU; adapter: GPUAdapter | null }> {
  const gpu = dawn.create([]);
  return { gpu, adapter: await gpu.requestAdapter({ powerPreference: 'high-performance' }) };
}

/**
 * Finds an adapter as the header says and makes `navigator.gpu` (and the GPU* constants
 * tfjs-backend-webgpu reads) global, so that the backend can be registered after this.
 */
export async function findNodeAdapter(): Promise<NodeAdapter> {
  // Dawn's Vulkan layer warns on stderr without a runtime directory; any writable one will do.
  process.env.XDG_RUNTIME_DIR ??= os.tmpdir();
  const dawn = loadDawn();
  Object.assign(globalThis, dawn.globals);
  const userIcd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  let found: NodeAdapter | null = null;
  if (userIcd) {
    const { gpu, adapter } = await requestAdapter(dawn);
    if (adapter) found = { gpu, adapter, source: 'VK_ICD_FILENAMES' };
  } else {
    const swiftshader = existsSync(SWIFTSHADER_ICD);
    if (hasGpuDeviceNode() || !swiftshader) {
      const hideLavapipe = process.env.VK_LOADER_DRIVERS_DISABLE === undefined;
      if (hideLavapipe) process.env.VK_LOADER_DRIVERS_DISABLE = '*lvp*';
      const system = await requestAdapter(dawn);
      if (hideLavapipe) delete process.env.VK_LOADER_DRIVERS_DISABLE;
      if (system.adapter) found = { gpu: system.gpu, adapter: system.adapter, source: 'system' };
    }
    if (!found && swiftshader) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      const { gpu, adapter } = await requestAdapter(dawn);
      if (adapter) found = { gpu, adapter, source: 'swiftshader' };
    }
  }
  if (!found) throw new WebGPUUnavailable(noAdapterMessage({ vulkanLoader: hasVulkanLoader(), swiftshader: existsSync(SWIFTSHADER_ICD), userIcd }));
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: found.gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu: found.gpu }, configurable: true, writable: true });
  return found;
}
