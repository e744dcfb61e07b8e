/**
 * `npm run gpu-kit [-- --out DIR]`: one folder that runs the lab's `bench` and `train` on WebGPU
 * on a Linux x86-64 machine with a Vulkan driver and no Node or npm: the command line and the
 * kit's table bundled by esbuild, Dawn's dawn.node and this machine's Node runtime (both
 * gzip-compressed; run.sh unpacks them on first use), TF.js's wasm binaries, the shipped configs.
 */
import { build } from 'esbuild';
import { chmodSync, copyFileSync, cpSync, createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const LIMIT = 60 * 2 ** 20;

function outDir(argv: string[]): string {
  const i = argv.indexOf('--out');
  return path.resolve(i >= 0 && argv[i + 1] ? argv[i + 1]! : path.join(root, 'dist', 'gpu-kit'));
}

async function gzip(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createGzip({ level: 6 }), createWriteStream(to));
}

// ESM bundles of CommonJS packages (the wasm backend's emscripten glue) need these.
const BANNER = [
  "import { createRequire as __labRequire } from 'node:module';",
  "import { fileURLToPath as __labPath } from 'node:url';",
  'const require = __labRequire(import.meta.url);',
  'const __filename = __labPath(import.meta.url);',
  "const __dirname = __labPath(new URL('.', import.meta.url));",
].join('\n');

async function main(): Promise<void> {
  const out = outDir(process.argv.slice(2));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'wasm'), { recursive: true });
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', banner: { js: BANNER }, logLevel: 'warning', legalComments: 'none', minify: true } as const;
  await build({ ...common, entryPoints: [path.join(root, 'src/cli/main.ts')], outfile: path.join(out, 'lab.mjs') });
  await build({ ...common, entryPoints: [path.join(root, 'src/cli/kitTable.ts')], outfile: path.join(out, 'kit.mjs') });
  const wasmDist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of readdirSync(wasmDist)) if (f.endsWith('.wasm')) copyFileSync(path.join(wasmDist, f), path.join(out, 'wasm', f));
  // `--threads`: the threaded build's workers load its emscripten script from a file (internals/wasmNodeThreads.ts).
  const threadedScript = 'tfjs-backend-wasm-threaded-simd.js';
  copyFileSync(path.join(wasmDist, '..', 'wasm-out', threadedScript), path.join(out, 'wasm', threadedScript));
  cpSync(path.join(root, 'configs'), path.join(out, 'configs'), { recursive: true });
  const dawn = path.join(path.dirname(require.resolve('webgpu/package.json')), 'dist', 'linux-x64', 'dawn.node');
  await gzip(dawn, path.join(out, 'dawn.node.gz'));
  await gzip(process.execPath, path.join(out, 'node.gz'));
  copyFileSync(path.join(root, 'tools/gpu-kit/run.sh'), path.join(out, 'run.sh'));
  chmodSync(path.join(out, 'run.sh'), 0o755);
  writeFileSync(path.join(out, 'VERSION'), `node ${process.version}\nbuilt ${new Date().toISOString()}\n`);
  const size = (dir: string): number => readdirSync(dir).reduce((n, f) => {
    const p = path.join(dir, f);
    return n + (statSync(p).isDirectory() ? size(p) : statSync(p).size);
  }, 0);
  const bytes = size(out);
  console.log(`gpu kit: ${out} (${(bytes / 2 ** 20).toFixed(1)} MiB)`);
  if (bytes > LIMIT) throw new Error(`the kit is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the 60 MiB it must fit in`);
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
