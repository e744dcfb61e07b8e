import type { ReactNode } from 'react';

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
  children: ReactNode;
}

/** A titled chart with its own controls; `data-chart` lets tests find it. */
export function ChartCard({ id, title, controls, empty, wide, aside, children }: Props) {
  return (
    <section className={`card chart${wide ? ' wide' : ''}`} data-chart={id} aria-labelledby={`chart-${id}`}>
      <div className="card-head">
        <h3 id={`chart-${id}`}>{title}</h3>
        {controls && <div className="chart-controls">{controls}</div>}
      </div>
      <div className="chart-row">
        <div className="chart-body">
          {children}
          {empty && <p className="chart-empty">{empty}</p>}
        </div>
        {aside}
      </div>
    </section>
  );
}
