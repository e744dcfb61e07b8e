import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../engine/validation';

/** Reads and parses a JSON file; a missing file or bad JSON is a ConfigError naming the flag. */
export function readJson(path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([{ path: flag, message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError([{ path: flag, message: `${path} is not valid JSON: ${(e as Error).message}` }]);
  }
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value));
}
