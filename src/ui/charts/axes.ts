import type { YOptions } from './plot/scales';

/* Settings shared by every chart, as constants: a plot redraws only when its inputs change identity. */

export const CHART_HEIGHT = 200;

export const Y_FROM_ZERO: YOptions = { fromZero: true };
export const Y_AUTO: YOptions = {};
export const Y_LOG: YOptions = { log: true };
export const Y_PERCENT: YOptions = { domain: [0, 100], ticks: [0, 25, 50, 75, 100] };

/** Plots whose hover cursors move together. */
export const RUN_SYNC = 'run';
export const COMPARE_SYNC = 'compare';
