import { createContext, useContext, useSyncExternalStore } from 'react';
import type { LabController } from './controller';
import type { LabState } from './store';

export const LabContext = createContext<LabController | null>(null);

export function useLab(): LabController {
  const lab = useContext(LabContext);
  if (!lab) throw new Error('useLab needs a LabContext provider');
  return lab;
}

/** A slice of the lab's state; `select` must return a part of the state, not a new object. */
export function useLabState<T>(select: (s: LabState) => T): T {
  const { store } = useLab();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
