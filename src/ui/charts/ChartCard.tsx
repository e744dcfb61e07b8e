import { useId, useRef, type ReactNode } from 'react';
import { useLab } from '../lab/context';
import { chartSvg, svgToPng } from './exportChart';

interface Props {
  id: string;
  title: string;
  /** Controls drawn in the header (toggles, sliders). */
  controls?: ReactNode;
  /** Shown over the (empty) chart when there is nothing to draw; the chart stays mounted. */
  empty?: string;
  wide?: boolean;
  /** Drawn beside the chart (wide cards). */
  aside?: ReactNode;
  /** What the chart shows, in words: read by screen readers instead of the drawing. */
  summary: string;
  /** The card holds text, not a plot (a text run's samples): read as it is, nothing to export. */
  text?: boolean;
  children: ReactNode;
}

/**
 * A titled chart with its own controls and an export menu (PNG, SVG). The drawing is hidden
 * from assistive technology and out of the Tab order; its text summary stands in for it.
 * `data-chart` lets tests find it.
 */
export function ChartCard({ id, title, controls, empty, wide, aside, summary, text, children }: Props) {
  const lab = useLab();
  const card = useRef<HTMLElement>(null);
  const menu = useRef<HTMLDetailsElement>(null);
  const summaryId = useId();
  const save = async (format: 'svg' | 'png') => {
    if (!card.current) return;
    if (menu.current) menu.current.open = false;
    try {
      const svg = chartSvg(card.current, title);
      const file = `transformer-lab-${id}.${format}`;
      if (format === 'svg') lab.save(file, svg, 'image/svg+xml');
      else lab.save(file, await svgToPng(svg), 'image/png');
    } catch (e) {
      lab.store.update((s) => ({ ...s, notice: `The chart was not exported: ${(e as Error).message}` }));
    }
  };
  return (
    <section ref={card} className={`card chart${wide ? ' wide' : ''}`} data-chart={id} aria-labelledby={`chart-${id}`} aria-describedby={summaryId}>
      <div className="card-head">
        <h3 id={`chart-${id}`}>{title}</h3>
        <div className="chart-controls">
          {controls}
          {!text && <details ref={menu} className="chart-export">
            <summary aria-label={`Export the ${title} chart`}>Export</summary>
            <div className="chart-export-menu">
              <button type="button" onClick={() => void save('png')} aria-label={`Save ${title} as PNG`}>PNG</button>
              <button type="button" onClick={() => void save('svg')} aria-label={`Save ${title} as SVG`}>SVG</button>
            </div>
          </details>}
        </div>
      </div>
      <div className="chart-row">
        <div className="chart-body" aria-hidden={text ? undefined : true}>
          {children}
          {empty && <p className="chart-empty">{empty}</p>}
        </div>
        {aside}
      </div>
      <p id={summaryId} className="visually-hidden">{empty ?? summary}</p>
    </section>
  );
}
