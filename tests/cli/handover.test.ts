import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'handover-'));
const file = (name: string) => path.join(dir, name);

function cli(...args: string[]) {
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const RUN = {
  model: { dModel: 8, nHeads: 2, nDecoderLayers: 1, dFF: 16, maxLen: 12 },
  task: { name: 'addition', maxDigits: 2 },
  train: { batchSize: 4, steps: 2, seed: 0, evalEvery: 2, validationSize: 8 },
};

beforeAll(() => {
  writeFileSync(file('run.json'), JSON.stringify(RUN));
  const r = cli('train', '--config', file('run.json'), '--out', file('lab.json'));
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

describe('handover', () => {
  it('writes the weights and the file\'s own run config, and prints the torchrun commands', () => {
    const r = cli('handover', '--weights', file('lab.json'), '--out-dir', file('out'), '--nproc', '4');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file('out/weights.json'), 'utf8')).toBe(readFileSync(file('lab.json'), 'utf8'));
    const lab = JSON.parse(readFileSync(file('lab.json'), 'utf8')) as { training: { run: unknown } };
    expect(JSON.parse(readFileSync(file('out/run.json'), 'utf8'))).toEqual(lab.training.run);
    const args = `tools/pytorch/continue_training.py --weights ${file('out/weights.json')} --config ${file('out/run.json')} --out ${file('out/continued.json')}`;
    expect(r.stdout).toContain(`torchrun --standalone --nproc_per_node 4 ${args}`);
    expect(r.stdout).toContain(`python3 -m torch.distributed.run --standalone --nproc_per_node 4 --redirects 9:1 --tee 9:1 ${args}`);
    expect(r.stdout).toContain('step 2 of 2');
  });

  it('takes --config for a file that carries no run config', () => {
    const bare = JSON.parse(readFileSync(file('lab.json'), 'utf8')) as Record<string, unknown>;
    delete bare.training;
    writeFileSync(file('bare.json'), JSON.stringify(bare));
    const refused = cli('handover', '--weights', file('bare.json'), '--out-dir', file('bare'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`error: --config: is required: ${file('bare.json')} carries no run config (training.run); lab files written by \`train --out\` do\n`);
    expect(existsSync(file('bare'))).toBe(false);
    const r = cli('handover', '--weights', file('bare.json'), '--out-dir', file('bare'), '--config', file('run.json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no saved step');
  });

  it.each([
    [['--weights', 'x.json'], 'error: --out-dir: is required by handover\n'],
    [['--weights', '/nonexistent.json', '--out-dir', 'd'], 'error: --weights: cannot read /nonexistent.json: ENOENT\n'],
    [['--weights', 'W', '--out-dir', 'd', '--nproc', '0'], 'error: --nproc: must be a whole number ≥ 1 (got "0")\n'],
    [['--weights', 'W', '--out-dir', 'd', '--nproc', '3'], 'error: --nproc: batchSize 4 is not divisible by gradAccumSteps × processes (1 × 3): every process takes an equal share of each micro-batch\n'],
    [['--weights', 'W', '--out-dir', 'd', '--steps', '3'], 'error: --steps: is not an option of handover\n'],
  ])('refuses %j', (args, message) => {
    const r = cli('handover', ...args.map((a) => (a === 'W' ? file('lab.json') : a === 'd' ? file('refused') : a)));
    expect(r.stderr).toBe(message);
    expect(r.code).toBe(2);
  });

  it('refuses a config whose model differs from the file\'s', () => {
    writeFileSync(file('other.json'), JSON.stringify({ ...RUN, model: { ...RUN.model, dFF: 32 } }));
    const r = cli('handover', '--weights', file('lab.json'), '--out-dir', file('other'), '--config', file('other.json'));
    expect(r.stderr).toBe('error: --weights config.dFF: 16 differs from the run config\'s model.dFF 32\n');
    expect(r.code).toBe(2);
  });
});
