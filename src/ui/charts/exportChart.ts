/**
 * A chart as a file: its title, its legend and its plot in one SVG (the plot's own SVG, copied;
 * it carries its colours and fonts as attributes), or that SVG drawn on a canvas at twice the
 * size as a PNG.
 */

const NS = 'http://www.w3.org/2000/svg';
const TITLE_HEIGHT = 26;
const LEGEND_ROW = 18;
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

interface LegendEntry {
  label: string;
  color: string;
  dash?: string;
}

function legendOf(card: HTMLElement): LegendEntry[] {
  return [...card.querySelectorAll<HTMLElement>('.legend li')].filter((li) => !li.classList.contains('hidden-run')).map((li) => {
    const label = li.textContent?.trim() ?? '';
    const sample = li.querySelector('svg.mark-svg line');
    if (sample) return { label, color: sample.getAttribute('stroke') ?? '#000', dash: sample.getAttribute('stroke-dasharray') ?? undefined };
    const mark = li.querySelector<HTMLElement>('.mark');
    return { label, color: mark ? getComputedStyle(mark).color : '#000', ...(mark?.classList.contains('mark-dashed') ? { dash: '4 3' } : {}) };
  });
}

/** The chart in `card` (a ChartCard section) as a standalone SVG document. */
export function chartSvg(card: HTMLElement, title: string): string {
  const plot = card.querySelector<SVGSVGElement>('svg.plot-surface');
  if (!plot) throw new Error('this chart has nothing drawn yet');
  const width = Math.round(plot.getBoundingClientRect().width) || Number(plot.getAttribute('width')) || 600;
  const height = Math.round(plot.getBoundingClientRect().height) || Number(plot.getAttribute('height')) || 200;
  const legend = legendOf(card);
  // Legend entries flow in rows, about 7 px per character.
  const rows: LegendEntry[][] = [[]];
  let used = 0;
  for (const entry of legend) {
    const w = 26 + entry.label.length * 7;
    if (used + w > width && rows.at(-1)!.length) {
      rows.push([]);
      used = 0;
    }
    rows.at(-1)!.push(entry);
    used += w;
  }
  const legendHeight = legend.length ? rows.length * LEGEND_ROW + 4 : 0;
  const total = TITLE_HEIGHT + legendHeight + height;
  const doc = el('svg', { xmlns: NS, width, height: total, viewBox: `0 0 ${width} ${total}`, 'font-family': FONT });
  doc.append(el('rect', { width, height: total, fill: '#ffffff' }));
  doc.append(el('text', { x: 8, y: 18, 'font-size': 14, 'font-weight': 600, fill: '#1f2328' }, title));
  rows.forEach((row, r) => {
    let x = 8;
    const y = TITLE_HEIGHT + r * LEGEND_ROW + 10;
    for (const entry of row) {
      doc.append(el('line', { x1: x, y1: y, x2: x + 16, y2: y, stroke: entry.color, 'stroke-width': 2, ...(entry.dash ? { 'stroke-dasharray': entry.dash } : {}) }));
      doc.append(el('text', { x: x + 20, y: y + 4, 'font-size': 11, fill: '#5f6b7a' }, entry.label));
      x += 26 + entry.label.length * 7;
    }
  });
  const copy = plot.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('x', '0');
  copy.setAttribute('y', String(TITLE_HEIGHT + legendHeight));
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  copy.removeAttribute('style');
  doc.append(copy);
  return new XMLSerializer().serializeToString(doc);
}

/** The SVG drawn at `scale` on a white canvas, as PNG. */
export async function svgToPng(svg: string, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(image.width * scale);
    canvas.height = Math.ceil(image.height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be made'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
