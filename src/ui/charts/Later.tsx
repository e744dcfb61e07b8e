import type { ReactElement } from 'react';
import { useDrawn, useInView } from './drawQueue';

interface Props<T> {
  now: T;
  chart: (d: T) => ReactElement | null;
  wide?: boolean;
  /**
   * What the chart is of (a run id and whether it trains): when it changes the chart redraws
   * even out of view, so that no chart scrolled away keeps saying "Press Start" while a run trains.
   */
  identity?: string;
}

/**
 * A chart drawn from what it was given at the last draw window (see drawQueue.ts): between
 * windows its props do not change, so the memoised chart does not redraw.
 */
export function Later<T>({ now, chart, wide, identity = '' }: Props<T>) {
  const [ref, visible] = useInView<HTMLDivElement>();
  const drawn = useDrawn(now, visible, identity);
  return (
    <div ref={ref} className={`chart-slot${wide ? ' wide' : ''}`}>
      {drawn === undefined ? <div className="card chart chart-placeholder" aria-hidden="true" /> : chart(drawn)}
    </div>
  );
}
