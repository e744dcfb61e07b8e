import type { ReactElement } from 'react';
import { useDrawn, useInView } from './drawQueue';

/**
 * A chart drawn from what it was given at the last draw window (see drawQueue.ts): between
 * windows its props do not change, so the memoised chart does not redraw.
 */
export function Later<T>({ now, chart, wide }: { now: T; chart: (d: T) => ReactElement | null; wide?: boolean }) {
  const [ref, visible] = useInView<HTMLDivElement>();
  const drawn = useDrawn(now, visible);
  return (
    <div ref={ref} className={`chart-slot${wide ? ' wide' : ''}`}>
      {drawn === undefined ? <div className="card chart chart-placeholder" aria-hidden="true" /> : chart(drawn)}
    </div>
  );
}
