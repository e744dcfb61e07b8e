import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Every module `entry` (a path from the repo root) reaches through its relative imports and
 * re-exports, entry included, each with the package specifiers it imports.
 */
export function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const packages: string[] = [];
    graph.set(path.relative(ROOT, file), packages);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      if (!spec!.startsWith('.')) {
        packages.push(spec!);
        continue;
      }
      const target = path.resolve(path.dirname(file), spec!);
      visit([`${target}.ts`, path.join(target, 'index.ts')].find((f) => existsSync(f))!);
    }
  };
  visit(path.join(ROOT, entry));
  return graph;
}

/** The `@tensorflow/*` imports anywhere in `entry`'s graph, as "file imports package". */
export const tfjsImports = (entry: string): string[] =>
  [...importGraph(entry)].flatMap(([file, packages]) => packages.filter((p) => p.startsWith('@tensorflow')).map((p) => `${file} imports ${p}`));
