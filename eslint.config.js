import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noDomPatterns = [
  { group: ['react', 'react-dom', 'react/*', 'd3-scale', 'd3-shape'], message: 'The engine and tasks run without a DOM or React.' },
  { group: ['**/ui/**', '**/worker/**', '**/cli/**'], message: 'The engine and tasks import nothing above them.' },
  { group: ['node:*'], message: 'The engine runs in browsers: its one Node-only file is internals/wasmNodeThreads.ts, which only the CLI imports.' },
];
const noDom = {
  'no-restricted-globals': ['error', 'window', 'document', 'self', 'navigator', 'localStorage'],
  'no-restricted-imports': ['error', { patterns: noDomPatterns }],
};
/** Layers inside the engine. A later no-restricted-imports replaces an earlier one, so each repeats noDom's patterns. */
const engineBelow = (message, ...groups) => ({
  'no-restricted-imports': ['error', { patterns: [...noDomPatterns, { group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/engine/**/*.ts'], rules: noDom },
  {
    files: ['src/engine/internals/wasmNodeThreads.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: noDomPatterns.filter((p) => !p.group.includes('node:*')) }] },
  },
  {
    files: ['src/engine/memory/**/*.ts'],
    rules: engineBelow('Memory accounting sits below the trainer and the benchmarks (what runs the trainer to measure it lives in engine/bench).', '**/train/**', '**/bench/**'),
  },
  { files: ['src/engine/eval/**/*.ts'], rules: engineBelow('Evaluation sits below training: shared pieces live in engine/model.', '**/train/**') },
  {
    files: ['src/tasks/**/*.ts'],
    rules: {
      ...noDom,
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@tensorflow/*'], message: 'Tasks are plain TypeScript, no TF.js.' },
        { group: ['react', 'react-dom', 'd3-scale', 'd3-shape'], message: 'Tasks run without React.' },
        { group: ['**/engine/**', '!**/engine/validation', '**/ui/**', '**/worker/**', '**/cli/**'], message: 'Tasks import nothing above them.' },
      ] }],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@tensorflow/*'], message: 'The UI talks to the engine through the worker.' },
        // Pure zod, no TF.js: config parsing, its messages, and the optimizer/schedule declarations.
        // The precision policy too: plain TypeScript (tests/engine/precision/policy.test.ts checks its import graph).
        // The forecaster's config schema (pure zod), for the page's forecast fields.
        { group: ['**/engine/**', '!**/engine/config', '!**/engine/types', '!**/engine/runConfig', '!**/engine/validation', '!**/engine/optim', '**/engine/optim/*', '!**/engine/optim/config', '!**/engine/precision', '**/engine/precision/*', '!**/engine/precision/policy', '!**/engine/forecaster', '**/engine/forecaster/*', '!**/engine/forecaster/config'],
          allowTypeImports: true, message: 'The UI imports the engine only for types, config parsing and the precision policy.' },
      ] }],
    },
  },
  { files: ['src/worker/**/*.ts'], languageOptions: { globals: { ...globals.worker } } },
  {
    // worker.ts is the one file that touches the worker global; the rest runs in Node tests too.
    files: ['src/worker/**/*.ts'],
    ignores: ['src/worker/worker.ts'],
    rules: { 'no-restricted-globals': ['error', { name: 'self', message: 'Only src/worker/worker.ts touches the worker global.' }, 'postMessage', 'onmessage', 'importScripts'] },
  },
);
