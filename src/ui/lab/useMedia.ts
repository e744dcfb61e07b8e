import { useSyncExternalStore } from 'react';

/** Whether a media query matches now (false where matchMedia is missing). */
export function useMedia(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      if (typeof matchMedia === 'undefined') return () => {};
      const list = matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    () => typeof matchMedia !== 'undefined' && matchMedia(query).matches,
  );
}

/** The layout's one breakpoint: below it the config column collapses above the run. */
export const NARROW = '(max-width: 900px)';
