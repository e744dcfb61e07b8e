import { CartesianGrid, Tooltip, XAxis } from 'recharts';
import { num } from '../lab/format';
import { COLORS } from './palette';

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
const formatStep = (l: unknown) => `step ${String(l)}`;

export const DOMAIN_FROM_ZERO = [0, 'auto'] as [number, string];
export const DOMAIN_AUTO = ['auto', 'auto'] as [string, string];
const DOMAIN_STEPS = ['dataMin', 'dataMax'] as [string, string];
export const DOT = { r: 2.5 };

/** `interval={0}` shows every "nice" tick without measuring label sizes in the DOM. */
export const Y_AXIS = { tick, width: 52, interval: 0, tickFormatter: formatTick } as const;

const GRID = <CartesianGrid key="grid" stroke={COLORS.grid} vertical={false} />;
const TOOLTIP = <Tooltip key="tip" isAnimationActive={false} formatter={formatValue} labelFormatter={formatStep} />;
const X_AXIS = <XAxis key="x" dataKey="step" type="number" domain={DOMAIN_STEPS} allowDecimals={false} interval={0} tick={tick} tickFormatter={formatTick} />;
const STEP_AXIS = [GRID, X_AXIS, TOOLTIP];

/** The shared step axis, grid and tooltip of every chart (recharts reads them as direct children). */
export function stepAxis(domain?: [number, string]) {
  if (!domain) return STEP_AXIS;
  return [GRID, <XAxis key="x" dataKey="step" type="number" domain={domain} allowDecimals={false} interval={0} tick={tick} tickFormatter={formatTick} />, TOOLTIP];
}
