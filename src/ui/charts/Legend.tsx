export interface LegendItem {
  label: string;
  color: string;
  /** Drawn as a dashed line, a dot or a filled square. */
  mark?: 'line' | 'dashed' | 'dot' | 'area' | 'cross';
}

/** A static HTML legend: cheaper than recharts' own (which measures itself on every redraw). */
export function ChartLegend({ items }: { items: readonly LegendItem[] }) {
  return (
    <ul className="legend">
      {items.map((i) => (
        <li key={i.label}>
          <i className={`mark mark-${i.mark ?? 'line'}`} style={{ color: i.color }} aria-hidden="true" />
          {i.label}
        </li>
      ))}
    </ul>
  );
}
