/**
 * The config panel's fields for a forecaster on the forecast task, drawn from the engine's and
 * the task's declarations (defaults, bounds); `nVariates` is the columns', lookback and horizon
 * the task's, so the model fields leave them out.
 */
import { parseForecasterConfig } from '../../engine/forecaster/config';
import { DATASET_NAMES } from '../../tasks/forecast/datasets';
import { FORECAST_KNOBS } from '../../tasks/forecast/task';
import type { FieldSpec } from '../config/fields';

export const FORECAST = 'forecast';

/** What the engine fills in for a bare forecaster. */
const BARE = parseForecasterConfig({ kind: 'forecaster', lookback: 1, horizon: 1, nVariates: 1, dModel: 2, nHeads: 1, nLayers: 1, dFF: 1 });

export const FORECAST_MODEL_FIELDS: FieldSpec[] = [
  { path: 'model.nLayers', label: 'Encoder layers', kind: 'number', integer: true, min: 0, help: 'layers over the variate tokens' },
  { path: 'model.dModel', label: 'Model width (dModel)', kind: 'number', integer: true, min: 2, help: 'divisible by the number of heads' },
  { path: 'model.nHeads', label: 'Attention heads', kind: 'number', integer: true, min: 1 },
  { path: 'model.dFF', label: 'Feed-forward width (dFF)', kind: 'number', integer: true, min: 1 },
  { path: 'model.dropout', label: 'Dropout', kind: 'number', min: 0, max: 1, step: '0.05', placeholder: String(BARE.dropout) },
  { path: 'model.activation', label: 'Activation', kind: 'select', options: ['gelu', 'relu'] },
  { path: 'model.normFirst', label: 'Pre-LayerNorm (normFirst)', kind: 'boolean' },
  { path: 'model.useNorm', label: 'Normalise each window (useNorm)', kind: 'boolean', help: 'per window and variate: its own mean and std, undone on the forecast' },
  { path: 'model.layerNormEps', label: 'LayerNorm epsilon', kind: 'number', placeholder: String(BARE.layerNormEps) },
];

export const SOURCES = ['dataset', 'csv'] as const;

/** Where the series comes from: a shipped one, or a CSV dropped on the page. */
export const SOURCE_FIELD: FieldSpec = { path: 'task.source', label: 'Series', kind: 'select', options: SOURCES, help: 'a series the lab ships, or a CSV file of your own' };
export const DATASET_FIELD: FieldSpec = { path: 'task.dataset', label: 'Shipped series', kind: 'select', options: DATASET_NAMES };

export const FORECAST_TASK_FIELDS: FieldSpec[] = [
  ...FORECAST_KNOBS.map((k): FieldSpec => ({ path: `task.${k.key}`, label: k.label, kind: 'number', help: k.help, integer: true, min: k.min, max: k.max, placeholder: String(k.default) })),
  { path: 'task.columns', label: 'Columns', kind: 'names', placeholder: 'every numeric column', help: 'names, separated by commas: the variates, in order' },
];

/** The forecast task's fields that apply to a draft's source. */
export const forecastTaskFields = (source: string): FieldSpec[] => [SOURCE_FIELD, ...(source === 'csv' ? [] : [DATASET_FIELD]), ...FORECAST_TASK_FIELDS];
