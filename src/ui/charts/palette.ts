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
  peak: '#7a1f5c',
  inUse: '#222222',
  allocated: '#888888',
  host: '#e8c547',
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

/** What each category counts (memory/breakdown.ts), for legends and the memory card. */
export const CATEGORY_HELP: Record<MemoryCategory, string> = {
  parameters: 'the fp32 master weights',
  gradients: 'one gradient per parameter, alive at the end of the backward pass',
  optimizerState: "the optimizer's slots (Adam's two moments, SGD's momentum buffer)",
  savedActivations: "what the forward pass keeps for the backward pass (when layers are recomputed: segment boundaries, and each stack's last segment, which is not recomputed)",
  halfCopies: 'segment boundaries kept packed at half size (fp16 / bf16)',
  other:
    'everything else alive at the peak: gradients of intermediate tensors (TF.js keeps them until the backward pass ends), ' +
    "a recomputed segment's own activations and gradients, the running sum of accumulated gradients, the batch and temporaries",
};

/** What the host band counts: not device memory (memory/breakdown.ts `host`). */
export const HOST_HELP = 'offloaded segment boundaries waiting in host (CPU) memory between the forward and backward passes: not device memory, not part of the peak';
