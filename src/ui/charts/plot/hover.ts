/**
 * The hover cursor shared by a group of plots (the run's charts, the comparison's): the x the
 * pointer is at, in data units, or undefined. Only each plot's cursor layer listens, so moving
 * the pointer redraws a line and a few dots, never a chart.
 */
import { useSyncExternalStore } from 'react';

const groups = new Map<string, { x?: number; listeners: Set<() => void> }>();

function group(name: string) {
  let g = groups.get(name);
  if (!g) groups.set(name, (g = { listeners: new Set() }));
  return g;
}

export function setHover(name: string, x: number | undefined): void {
  const g = group(name);
  if (g.x === x) return;
  g.x = x;
  for (const l of g.listeners) l();
}

export function useHover(name: string): number | undefined {
  return useSyncExternalStore(
    (listener) => {
      const g = group(name);
      g.listeners.add(listener);
      return () => g.listeners.delete(listener);
    },
    () => group(name).x,
  );
}
