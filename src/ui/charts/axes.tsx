import { CartesianGrid, Tooltip, XAxis } from 'recharts';
import { num } from '../lab/format';
import { COLORS } from './palette';
import type { XAxisKind } from './settings';

/*
 * Props shared by every chart, as constants: recharts keeps axis and series settings in its own
 * store and re-dispatches them whenever a prop changes identity, so stable props keep a redraw to
 * the data that changed.
 */

export const CHART_HEIGHT = 200;
export const MARGIN = { top: 8, right: 14, bottom: 2, left: 0 };

const tick = { fontSize: 11, fill: COLORS.axis };
const formatTick = (v: number) => num(v);
const formatValue = (v: unknown) => (typeof v === 'number' ? num(v, 4) : String(v));

export const DOMAIN_FROM_ZERO = [0, 'auto'] as [number, string];
export const DOMAIN_AUTO = ['auto', 'auto'] as [string, string];
const DOMAIN_DATA = ['dataMin', 'dataMax'] as [string, string];
export const DOT = { r: 2.5 };

/** `interval={0}` shows every "nice" tick without measuring label sizes in the DOM. */
export const Y_AXIS = { tick, width: 52, interval: 0, tickFormatter: formatTick } as const;

const LABEL: Record<XAxisKind, (l: unknown) => string> = {
  step: (l) => `step ${String(l)}`,
  time: (l) => `${num(Number(l), 4)} s of training`,
  tokens: (l) => `${num(Number(l), 4)} tokens seen`,
};

/** Charts of one group (the run's, the comparison's) move one hover cursor: each to its point nearest the hovered x. */
export function nearestTick(ticks: readonly { value?: unknown; index: number }[], at: { activeLabel?: unknown }): number {
  const x = Number(at.activeLabel);
  let best = -1;
  let distance = Infinity;
  for (let i = 0; i < ticks.length; i++) {
    const d = Math.abs(Number(ticks[i]!.value) - x);
    if (d < distance) {
      distance = d;
      best = i;
    }
  }
  return best;
}

/** Props every chart of a synchronised group takes (no keyboard layer: the card has a text summary instead). */
export const chartProps = (syncId: string) => ({ syncId, syncMethod: nearestTick, accessibilityLayer: false, margin: MARGIN }) as const;

const GRID = <CartesianGrid key="grid" stroke={COLORS.grid} vertical={false} />;
const TOOLTIPS = Object.fromEntries(
  (['step', 'time', 'tokens'] as const).map((k) => [k, <Tooltip key="tip" isAnimationActive={false} formatter={formatValue} labelFormatter={LABEL[k]} />]),
) as Record<XAxisKind, React.ReactElement>;
const AXES = Object.fromEntries(
  (['step', 'time', 'tokens'] as const).map((k) => [k, [GRID, <XAxis key="x" dataKey="x" type="number" domain={DOMAIN_DATA} allowDecimals={k !== 'step'} interval={0} tick={tick} tickFormatter={formatTick} />, TOOLTIPS[k]]]),
) as Record<XAxisKind, React.ReactElement[]>;

/** The shared x axis (points carry `x`), grid and tooltip of every chart (recharts reads them as direct children). */
export function xAxis(kind: XAxisKind, domain?: [number, string]) {
  if (!domain) return AXES[kind];
  return [GRID, <XAxis key="x" dataKey="x" type="number" domain={domain} allowDecimals={kind !== 'step'} interval={0} tick={tick} tickFormatter={formatTick} />, TOOLTIPS[kind]];
}
