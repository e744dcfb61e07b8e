import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VsTorchResult } from '../../src/cli/vsTorch';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(path.join(tmpdir(), 'vs-torch-'));
const config = path.join(dir, 'tiny.json');

// 1+1 layers of width 16 on batches of 4: a few ms a step on either side, so the whole run is
// dominated by process start-up and the fixed warm-up time.
const TINY_RUN = {
  model: { dModel: 16, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 32, maxLen: 10 },
  task: { name: 'copy', minLength: 1, maxLength: 4, symbols: 4 },
  train: { batchSize: 4, steps: 4, seed: 0, validationSize: 8, optimizer: { name: 'adamw', lr: 0.01 } },
};

function bench(...args: string[]) {
  const r = spawnSync(TSX, [path.join(ROOT, 'src/cli/main.ts'), 'bench', '--config', config, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // Not a skip: without PyTorch the feature cannot work, and the test says what is missing.
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`bench --vs-torch needs Debian's PyTorch: ${PYTHON} -c "import torch" failed (${probe.error?.message ?? probe.stderr.trim()}); apt-get install python3-torch`);
  }
  writeFileSync(config, JSON.stringify(TINY_RUN));
});

describe('bench --vs-torch', () => {
  it('times our step and PyTorch\'s on the same model and batch, and the ratio is their quotient', () => {
    const r = bench('--vs-torch', '--steps', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as VsTorchResult;
    expect(out.ours.stepMs).toBeGreaterThan(0);
    expect(out.torch.stepMs).toBeGreaterThan(0);
    expect(out.speedup).toBeCloseTo(out.torch.stepMs / out.ours.stepMs, 12);
    // The same model on both sides, and PyTorch on our thread count by default.
    expect(out.parameters.torch).toBe(out.parameters.ours);
    expect(out.threads.torch).toBe(out.threads.ours);
    expect(out.backend).toBe('wasm');
    expect(out.batch).toMatchObject({ rows: 4 });
    expect(out.fp16.ratio).toBeCloseTo(out.fp16.fp16Ms / out.fp16.fp32Ms, 12);
    expect(out.checkpointing.ratio).toBeCloseTo(out.checkpointing.layersMs / out.checkpointing.plainMs, 12);
    expect(out.torchCheckpointing.checkpointedMs).toBeGreaterThan(0);
    expect(out.ours.mfu).toBeGreaterThan(0);
    expect(out.targets.map((t) => t.name)).toEqual(['speed vs PyTorch', 'MFU', 'fp16 / fp32', 'checkpointing / plain']);
    expect(out.targets[0]!.met).toBe(out.speedup >= 4);
    // Each ratio comes with the middle half of its per-round ratios, and the run with how
    // steady its fp32 reference was in the three comparisons.
    for (const s of [out.speedupRounds, out.fp16.rounds, out.checkpointing.rounds]) expect(s.low).toBeLessThanOrEqual(s.high);
    expect(out.host.referenceMs).toHaveLength(3);
    expect(out.host.steady).toBe(out.host.widestSpread <= 0.1);
  }, 60_000);

  it('prints the table with both thread counts and a verdict per target', () => {
    const r = bench('--vs-torch', '--steps', '1', '--torch-threads', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PyTorch \S+ on CPU, 1 thread;/);
    expect(r.stdout).toMatch(/^speed, ours \/ PyTorch .*≥ 4×: (met|MISSES)$/m);
    expect(r.stdout).toMatch(/^MFU, ours .*≥ 45%: (met|MISSES)$/m);
    expect(r.stdout).toMatch(/^fp16 \/ fp32, ours .*≤ 1\.3×: (met|MISSES)$/m);
    expect(r.stdout).toMatch(/^"layers" \/ plain, ours .*; rounds \d+\.\d\d–\d+\.\d\d× +≤ 1\.25×: (met|MISSES)$/m);
    expect(r.stdout).toMatch(/^host: (steady|UNSTEADY): our fp32 step [\d.]+ \/ [\d.]+ \/ [\d.]+ ms in the three comparisons/m);
  }, 60_000);

  it('names the flag when it is misused', () => {
    const lone = bench('--torch-threads', '2');
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/--torch-threads: .*needs it/);
    const zero = bench('--vs-torch', '--torch-threads', '0');
    expect(zero.stderr).toMatch(/--torch-threads: must be a whole number ≥ 1/);
    const suite = bench('--vs-torch', '--suite', 'memory');
    expect(suite.code).toBe(2);
    expect(suite.stderr).toMatch(/--vs-torch: cannot be combined with --suite/);
  });
});
