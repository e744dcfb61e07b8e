import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { useBackend } from '../engine/backend';
import { ConfigError } from '../engine/validation';

const NODE_BACKENDS = ['wasm', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export function parseBackend(value: string | undefined): NodeBackend {
  const name = value ?? 'wasm';
  if (!(NODE_BACKENDS as readonly string[]).includes(name)) {
    throw new ConfigError([{ path: '--backend', message: `must be one of wasm, cpu (got ${JSON.stringify(name)})` }]);
  }
  return name as NodeBackend;
}

/** In Node the wasm binaries are read from the installed package rather than fetched. */
export async function startBackend(name: NodeBackend): Promise<void> {
  tf.enableProdMode();
  if (name === 'wasm') {
    const require = createRequire(import.meta.url);
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    setWasmPaths(dist);
  }
  await useBackend(name);
}
