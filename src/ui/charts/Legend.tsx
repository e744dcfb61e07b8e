export interface LegendItem {
  label: string;
  color: string;
  /** Drawn as a dashed line, a dot or a filled square. */
  mark?: 'line' | 'dashed' | 'dot' | 'area' | 'cross';
  /** A stroke pattern for the sample line (runs told apart by dashes as well as colour). */
  dash?: string;
  /** What the entry means, on hover. */
  title?: string;
  /** A run's entry: hover highlights it, a click hides it, Alt+click shows it alone. */
  runId?: string;
  hidden?: boolean;
}

interface Props {
  items: readonly LegendItem[];
  onHover?(runId: string | undefined): void;
  onToggle?(runId: string, solo: boolean): void;
}

/**
 * A static HTML legend above each plot (it wraps with the card and exports with the chart). Run
 * entries answer the mouse only; the runs table has the same hide and solo controls for the keyboard.
 */
export function ChartLegend({ items, onHover, onToggle }: Props) {
  return (
    <ul className="legend">
      {items.map((i) => (
        <li
          key={i.runId ?? i.label}
          title={i.title ?? (i.runId ? 'Click to hide or show; Alt+click to show it alone' : undefined)}
          className={`${i.runId ? 'run-entry' : ''}${i.hidden ? ' hidden-run' : ''}`}
          onMouseEnter={i.runId && onHover ? () => onHover(i.runId) : undefined}
          onMouseLeave={i.runId && onHover ? () => onHover(undefined) : undefined}
          onClick={i.runId && onToggle ? (e) => onToggle(i.runId!, e.altKey) : undefined}
        >
          {i.dash ? (
            <svg className="mark-svg" width="18" height="8" aria-hidden="true"><line x1="0" y1="4" x2="18" y2="4" stroke={i.color} strokeWidth="2" strokeDasharray={i.dash} /></svg>
          ) : (
            <i className={`mark mark-${i.mark ?? 'line'}`} style={{ color: i.color }} aria-hidden="true" />
          )}
          {i.label}
        </li>
      ))}
    </ul>
  );
}
