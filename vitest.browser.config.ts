import { defineConfig } from 'vitest/config';

/** The browser suites (npm run test:browser): each builds a page and drives headless Chromium. */
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.browser.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
