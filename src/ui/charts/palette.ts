import type { MemoryCategory } from '../../worker/protocol';

/** Quiet, distinguishable colours (Okabe–Ito based), the same on every chart. */
export const COLORS = {
  train: '#0072b2',
  trainRaw: '#9ec5e0',
  val: '#d55e00',
  exact: '#009e73',
  token: '#cc79a7',
  lr: '#56638a',
  grad: '#8a6d3b',
  scale: '#6a51a3',
  skipped: '#d62728',
  speed: '#2a9d8f',
  inUse: '#222222',
  allocated: '#888888',
  predicted: '#d55e00',
  grid: '#e6e8eb',
  axis: '#6b7280',
};

export const CATEGORY_COLORS: Record<MemoryCategory, string> = {
  parameters: '#0072b2',
  gradients: '#56b4e9',
  optimizerState: '#009e73',
  savedActivations: '#e69f00',
  halfCopies: '#cc79a7',
  other: '#b8bcc2',
};

export const CATEGORY_LABELS: Record<MemoryCategory, string> = {
  parameters: 'Parameters',
  gradients: 'Gradients',
  optimizerState: 'Optimizer state',
  savedActivations: 'Saved activations',
  halfCopies: 'Half copies',
  other: 'Other',
};
