import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: {
    format: 'es',
    // The wasm backend's threads run its emscripten factory from its source text
    // (Function.prototype.toString): mangled names from the enclosing bundle would be undefined there.
    rolldownOptions: { output: { minify: 'dce-only' } },
  },
  // The worker carries TF.js (about 2.5 MB) and the page recharts: big by design, served once.
  build: { chunkSizeWarningLimit: 3000, target: 'es2022' },
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    exclude: ['tests/browser/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
