import { expect } from 'vitest';
import { ConfigError } from '../../src/engine/validation';

/** Runs `fn`, which must throw a ConfigError, and returns it. */
export function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

export const messageOf = (fn: () => unknown): string => thrown(fn).message;
