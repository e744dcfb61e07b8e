import { weightColour } from './ColourScale';

export interface HeatmapProps {
  /** What the map shows, for its accessible name and caption, e.g. "cross-attention, layer 1, head 2". */
  title: string;
  /** [Tq][Tk] weights in [0, 1]. */
  weights: number[][];
  /** Display names along the rows (queries) and columns (keys). */
  rowLabels: string[];
  columnLabels: string[];
  /** Side of one cell in pixels; the small multiples use smaller cells. */
  cell?: number;
}

const CHAR_WIDTH = 7; // px per label character at the heatmap's label size

/**
 * One head's attention as an SVG grid: a row per query, a column per key, a native tooltip
 * (<title>) on every cell with the weight. Labels sit left of the rows and above the columns.
 */
export function Heatmap({ title, weights, rowLabels, columnLabels, cell = 22 }: HeatmapProps) {
  const longest = (labels: string[]) => Math.max(1, ...labels.map((l) => l.length));
  const left = longest(rowLabels) * CHAR_WIDTH + 8;
  const top = longest(columnLabels) * CHAR_WIDTH + 8;
  const width = left + columnLabels.length * cell;
  const height = top + rowLabels.length * cell;
  return (
    <figure className="tryit-heatmap">
      <figcaption>{title}</figcaption>
      <svg
        role="img"
        aria-label={`attention heatmap: ${title}`}
        data-testid="attention-heatmap"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
      >
        {rowLabels.map((label, i) => (
          <text key={`r${i}`} className="tryit-axis" x={left - 4} y={top + (i + 0.5) * cell} textAnchor="end" dominantBaseline="central">
            {label}
          </text>
        ))}
        {columnLabels.map((label, j) => (
          // Column labels run upwards so that long names do not overlap.
          <text
            key={`c${j}`}
            className="tryit-axis"
            transform={`translate(${left + (j + 0.5) * cell}, ${top - 4}) rotate(-90)`}
            dominantBaseline="central"
          >
            {label}
          </text>
        ))}
        {weights.map((row, i) =>
          row.map((w, j) => (
            <rect
              key={`${i}-${j}`}
              className="tryit-cell"
              x={left + j * cell}
              y={top + i * cell}
              width={cell}
              height={cell}
              fill={weightColour(w)}
            >
              <title>{`${rowLabels[i]} → ${columnLabels[j]}: ${w.toFixed(3)}`}</title>
            </rect>
          )),
        )}
      </svg>
    </figure>
  );
}
