/**
 * JSON text of a weights document (or any JSON value), compact like `JSON.stringify`, except that
 * `-0` is written as `-0.0`: `JSON.stringify` writes `0`, which would lose the sign bit of a `data`
 * value (and Python's `json` reads `-0` as the integer 0, so `-0.0` it is). Values that are not plain JSON data (class instances, objects with `toJSON`) go through
 * `JSON.stringify`.
 */
export function stringifyWeights(doc: unknown): string {
  const parts: string[] = [];
  write(doc, parts);
  return parts.join('');
}

function write(v: unknown, parts: string[]): void {
  if (typeof v === 'number') {
    parts.push(Object.is(v, -0) ? '-0.0' : Number.isFinite(v) ? String(v) : 'null');
  } else if (Array.isArray(v)) {
    parts.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) parts.push(',');
      const item: unknown = v[i];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') parts.push('null');
      else write(item, parts);
    }
    parts.push(']');
  } else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && !('toJSON' in v)) {
    parts.push('{');
    let first = true;
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      if (!first) parts.push(',');
      first = false;
      parts.push(JSON.stringify(k), ':');
      write(item, parts);
    }
    parts.push('}');
  } else {
    parts.push(JSON.stringify(v) ?? 'null');
  }
}
