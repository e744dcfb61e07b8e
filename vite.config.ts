import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  // vega-datasets exports only its loader: its data files (the shipped series) are reached by path.
  resolve: { alias: { 'vega-datasets/data': fileURLToPath(new URL('node_modules/vega-datasets/data', import.meta.url)) } },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: {
    format: 'es',
    // The wasm backend's threads run its emscripten factory from its source text
    // (Function.prototype.toString): mangled names from the enclosing bundle would be undefined there.
    rolldownOptions: { output: { minify: 'dce-only' } },
  },
  // The worker carries TF.js (about 2.5 MB): big by design, served once.
  build: { chunkSizeWarningLimit: 3000, target: 'es2022' },
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    exclude: ['tests/browser/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['tests/reactWarnings.ts'],
  },
});
