/**
 * Runs a test page in headless Chromium with WebGPU on SwiftShader (see
 * shared/notes/engine-facts.md): vite builds the page into a temp folder, a plain node http
 * server serves it cross-origin isolated on 127.0.0.1, and playwright-core drives Debian's
 * chromium ($CHROME_PATH, or `chromium` on PATH); nothing is downloaded.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';

/** $CHROME_PATH, else the first `chromium` on PATH, else Debian's location (reported if absent). */
export const CHROME_PATH =
  process.env.CHROME_PATH ||
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir, 'chromium'))
    .find((candidate) => existsSync(candidate)) ||
  '/usr/bin/chromium';

const CHROME_FLAGS = [
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface',
  // This machine has no outside network: keep Chromium from trying.
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Builds `dir`/index.html and what it imports into a fresh temp folder; returns that folder. */
export async function buildPage(dir: string): Promise<string> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'lab-page-'));
  await build({
    root: dir, configFile: false, publicDir: false, logLevel: 'error',
    build: { outDir, emptyOutDir: true, minify: false, target: 'es2022', chunkSizeWarningLimit: 1e5 },
  });
  return outDir;
}

/** Builds the app itself (index.html, with the project's vite.config.ts) into a fresh temp folder. */
export async function buildApp(): Promise<string> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const outDir = await mkdtemp(path.join(tmpdir(), 'lab-app-'));
  // Vitest sets NODE_ENV=test, which vite would bake in (React's development build, several times
  // slower): build what `npm run build` builds.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root, mode: 'production', configFile: path.join(root, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.map': 'application/json',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

/** Serves `dir` with the COOP/COEP headers (cross-origin isolation, as the app's dev server sends). */
export async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    const target = file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
    try {
      if (!target.startsWith(dir)) throw new Error('outside the page folder');
      const body = await readFile(target);
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(target)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface Browser {
  page: Page;
  /** Console errors and uncaught page errors so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile and one page that records its errors. */
export async function launch(): Promise<Browser> {
  if (!existsSync(CHROME_PATH)) {
    throw new Error(`Chromium not found (no CHROME_PATH, no chromium on PATH, nothing at ${CHROME_PATH}): install Debian's chromium package, or set CHROME_PATH to a Chromium or Chrome binary`);
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'lab-chromium-'));
  const asRoot = process.getuid?.() === 0;
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROME_PATH, headless: true, args: [...CHROME_FLAGS, ...(asRoot ? ['--no-sandbox'] : [])],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  return {
    page, errors,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
