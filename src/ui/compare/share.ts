/**
 * Share links: the current config, or a comparison grid, in the URL's fragment
 * (`#config=…` / `#grid=…`, base64url of UTF-8 JSON). The fragment never reaches a server.
 * Opening a link is input like any other: its size, encoding and JSON are checked, keys that
 * could reach an object's prototype are refused, and the config or grid is validated by the
 * engine before anything on the page changes.
 */
import { parseLabRunConfig, type LabRunConfig } from '../../engine/runConfig';
import { uiSeries } from '../forecast/files';
import { ConfigError } from '../../engine/validation';
import { buildGrid, type GridCell, type GridSpec } from './grid';

/** Far above any real config (a few hundred bytes) and far below what a browser allows in a URL. */
export const MAX_SHARE_CHARS = 16_384;

export type Shared =
  | { kind: 'config'; config: LabRunConfig; raw: unknown }
  | { kind: 'grid'; grid: GridSpec; cells: GridCell[] };

const KINDS = ['config', 'grid'] as const;
type Kind = (typeof KINDS)[number];

function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** The fragment for a config or a grid (append it to the page's address). */
export function shareFragment(kind: Kind, value: unknown): string {
  return `#${kind}=${toBase64Url(JSON.stringify(value))}`;
}

const fail = (path: string, message: string): ConfigError => new ConfigError([{ path, message }]);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A key that names a prototype, anywhere in the document; null when there is none. */
function forbiddenKey(value: unknown, path: string): string | null {
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const here = `${path}.${k}`;
    if (FORBIDDEN_KEYS.has(k)) return here;
    const inner = forbiddenKey(v, here);
    if (inner) return inner;
  }
  return null;
}

/**
 * Reads a fragment (`#config=…`, `#grid=…`, with or without the `#`). Null when the fragment
 * is not a share link (any other fragment); throws a ConfigError whose paths start with `url`
 * when it is one that cannot be opened.
 */
export function readShareFragment(fragment: string): Shared | null {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (text === '') return null;
  const eq = text.indexOf('=');
  const kind = eq < 0 ? text : text.slice(0, eq);
  // An in-page anchor (#charts) or another page's fragment (#foo=bar) is not a share link.
  if (!(KINDS as readonly string[]).includes(kind)) return null;
  const path = `url.${kind}`;
  const payload = text.slice(eq + 1);
  if (eq < 0 || payload === '') throw fail(path, 'is empty');
  if (payload.length > MAX_SHARE_CHARS) throw fail(path, `is ${payload.length} characters long; a shared setup is at most ${MAX_SHARE_CHARS}`);
  if (!/^[A-Za-z0-9_-]+$/.test(payload)) throw fail(path, 'is not base64url text (letters, digits, - and _ only); the link may have been cut or altered');
  let json: string;
  try {
    json = fromBase64Url(payload);
  } catch {
    throw fail(path, 'does not decode to UTF-8 text; the link may have been cut or altered');
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw fail(path, `is not JSON: ${(e as Error).message}`);
  }
  const bad = forbiddenKey(value, path);
  if (bad) throw fail(bad, 'is a reserved key and is not accepted');
  return decodeValue(kind as Kind, value, path);
}

function decodeValue(kind: Kind, value: unknown, path: string): Shared {
  if (kind === 'grid') return { kind, grid: value as GridSpec, cells: buildGrid(value, path) };
  try {
    return { kind, config: parseLabRunConfig(value, uiSeries), raw: value };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(e.issues.map((i) => ({ path: i.path ? `${path}.${i.path}` : path, message: i.message })));
  }
}
