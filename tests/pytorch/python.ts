import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Debian's python3 with PyTorch (the `python3` first on PATH may lack it). */
export const PYTHON = '/usr/bin/python3';
const ENV = { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };

/** Runs a script (a path from the repo root) with JSON on stdin and extra environment variables. */
export function python(script: string, args: string[] = [], input?: unknown, env: Record<string, string> = {}) {
  const r = spawnSync(PYTHON, [path.join(ROOT, script), ...args], {
    cwd: ROOT, env: { ...ENV, ...env }, encoding: 'utf8', input: input === undefined ? undefined : JSON.stringify(input), timeout: 120_000, maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function torchrun(nproc: number, port: number, script: string, args: string[]) {
  // --redirects/--tee name a local rank that does not exist: Debian's torch 1.13 on Python 3.11
  // cannot parse their default ("0").
  const r = spawnSync(PYTHON, ['-m', 'torch.distributed.run', '--nproc_per_node', String(nproc), '--master_addr', '127.0.0.1',
    '--master_port', String(port), '--redirects', '9:1', '--tee', '9:1', path.join(ROOT, script), ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
