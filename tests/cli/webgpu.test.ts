import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD, noAdapterMessage } from '../../src/cli/webgpu';
import { fixtureValues, maxAbsError, readFixture, type FixtureTensor } from '../helpers/fixtures';

/** The command line on WebGPU in Node (Dawn), and the gpu kit built and run from an empty folder. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'cli-webgpu-'));
const file = (name: string) => path.join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A process that compiles every shader on SwiftShader takes a while, longer on a loaded machine. */
const SLOW = 600_000;

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(TSX, [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY = {
  model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10 },
  task: { name: 'copy', minLength: 1, maxLength: 4, symbols: 4 },
  train: { batchSize: 8, steps: 4, seed: 0, evalEvery: 4, validationSize: 16, optimizer: { name: 'adam', lr: 0.01 }, readbackEvery: 2 },
};

describe('--backend webgpu', () => {
  it('bench --json reports the adapter and every figure', () => {
    writeFileSync(file('run.json'), JSON.stringify(TINY));
    const r = cli(['bench', '--config', file('run.json'), '--backend', 'webgpu', '--steps', '2', '--json', '--warm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^webgpu: .+\((system|swiftshader|VK_ICD_FILENAMES)\)$/m);
    const out = JSON.parse(r.stdout.trim());
    expect(out.backend).toBe('webgpu');
    for (const key of ['tokensPerSec', 'stepMs', 'peakBytes', 'matmulGflops', 'mfu', 'modelGflopsPerStep', 'firstStepMs', 'warmUpMs']) {
      expect(out[key], key).toBeGreaterThan(0);
    }
    expect(out.gpuMemory.allocatedBytes).toBeGreaterThanOrEqual(out.gpuMemory.inUseBytes);
    expect(out.gpuMemory.inUseBytes).toBeGreaterThan(0);
    expect(out.adapter.description || out.adapter.vendor).toBeTruthy();
    expect(out.adapter.features).toEqual(expect.arrayContaining(['timestamp-query']));
    expect(out.adapter.limits.maxBufferSize).toBeGreaterThan(0);
    expect(['system', 'swiftshader', 'VK_ICD_FILENAMES']).toContain(out.adapter.source);
  }, SLOW);

  it('forward writes the loss and logits torch_reference.py writes', () => {
    const fixture = readFixture<{ weights: unknown; batch: unknown; loss: number; logits: FixtureTensor }>('parity', 'dec-preln-gelu-learned.json');
    writeFileSync(file('w.json'), JSON.stringify(fixture.weights));
    writeFileSync(file('b.json'), JSON.stringify(fixture.batch));
    const r = cli(['forward', '--weights', file('w.json'), '--batch', file('b.json'), '--out', file('o.json'), '--backend', 'webgpu']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(file('o.json'), 'utf8'));
    expect(Math.abs(out.loss - fixture.loss)).toBeLessThan(1e-4);
    expect(maxAbsError(out.logits.data.flat(Infinity), fixtureValues(fixture.logits))).toBeLessThan(1e-4);
  }, SLOW);

  it('a machine without Vulkan drivers gets a message naming what to install, and exit status 1', () => {
    const r = cli(['bench', '--config', file('run.json'), '--backend', 'webgpu'], { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --backend webgpu: no adapter from the Vulkan drivers named by VK_ICD_FILENAMES/m);
    expect(r.stderr).not.toMatch(/at .*\.(ts|js|mjs):\d+:\d+/); // no JavaScript stack trace (Dawn logs the loader's failure itself)
    expect(noAdapterMessage({ vulkanLoader: false, swiftshader: false })).toMatch(/install libvulkan1 .*chromium.*SwiftShader/);
    expect(noAdapterMessage({ vulkanLoader: true, swiftshader: false })).toMatch(/GPU's Vulkan driver.*install Debian's chromium/);
    expect(SWIFTSHADER_ICD).toBe('/usr/lib/chromium/vk_swiftshader_icd.json');
  }, SLOW);

  it('an unknown backend is refused with the list', () => {
    const r = cli(['bench', '--config', file('run.json'), '--backend', 'metal']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --backend: must be one of wasm, cpu, webgpu (got "metal")\n');
  });
});

describe('the gpu kit', () => {
  it('builds under 60 MiB and runs its table from a copy in an empty folder, with no node_modules in reach', () => {
    const built = path.join(dir, 'built');
    const b = spawnSync(TSX, [path.join(ROOT, 'tools/gpu-kit/build.ts'), '--out', built], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(b.status, b.stderr).toBe(0);
    const size = (d: string): number => readdirSync(d).reduce((n, f) => n + (statSync(path.join(d, f)).isDirectory() ? size(path.join(d, f)) : statSync(path.join(d, f)).size), 0);
    expect(size(built)).toBeLessThan(60 * 2 ** 20);
    const empty = mkdtempSync(path.join(tmpdir(), 'kit-'));
    try {
      cpSync(built, empty, { recursive: true });
      // Only the kit's own files: no PATH to this machine's node, no node_modules above it.
      const r = spawnSync('/bin/sh', ['run.sh', 'table', '--config', 'configs/reverse-tiny.json', '--precision', 'fp32', '--steps', '1', '--no-memory'], {
        cwd: empty, encoding: 'utf8', timeout: 600_000, env: { PATH: '/usr/bin:/bin', HOME: empty },
      });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^adapter: /);
      expect(lines[1]).toMatch(/^config +prec +tokens\/s +step +MFU +matmul +GPU in use +GPU pool +first step \(warm-up\) +first cold$/);
      expect(lines[2]).toMatch(/^reverse-tiny +fp32 +\d+ +\d+ ms +[\d.]+% +[\d.]+ GF\/s +[\d.]+ MiB +[\d.]+ MiB +\d+ ms \(\+\d+ ms\) +\d+ ms$/);
      console.log(`[gpu kit]\n${r.stdout}`);
      // The command line's wasm backend on a pool of threads, from the kit's own files too.
      const threaded = spawnSync('/bin/sh', ['run.sh', 'bench', '--config', 'configs/reverse-tiny.json', '--steps', '1', '--threads', '2'], {
        cwd: empty, encoding: 'utf8', timeout: 300_000, env: { PATH: '/usr/bin:/bin', HOME: empty },
      });
      expect(threaded.status, threaded.stderr).toBe(0);
      expect(threaded.stderr).toMatch(/^wasm: 2 XNNPACK threads$/m);
      expect(threaded.stdout).toMatch(/^backend wasm, /m);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, SLOW);
});
