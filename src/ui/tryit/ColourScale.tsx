/** The heatmaps' colour for a weight in [0, 1]: white to the accent colour, the same scale on every map so that they compare. */
export function weightColour(weight: number): string {
  const w = Math.min(1, Math.max(0, weight));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * w);
  return `rgb(${mix(255, 11)}, ${mix(255, 92)}, ${mix(255, 173)})`; // #ffffff → #0b5cad
}

const STOPS = [0, 0.25, 0.5, 0.75, 1];

/** The legend for `weightColour`. */
export function ColourScale() {
  const gradient = `linear-gradient(to right, ${STOPS.map((s) => weightColour(s)).join(', ')})`;
  return (
    <div className="tryit-scale" aria-label="colour scale: attention weight from 0 to 1">
      <span>0</span>
      <span className="tryit-scale-bar" style={{ background: gradient }} />
      <span>1</span>
    </div>
  );
}
