/**
 * The kernel contract of the overflow check: name and inputs, as TF.js's kernel_names.ts states
 * them. Its one kernel is wasm.ts; elsewhere nonFinite.ts composes the same count from TF.js's
 * IsFinite and All.
 */

/**
 * float32 tensors of any shapes, passed as a list (as AddN takes them) → a float32 scalar: how
 * many of them hold an infinity or a NaN. No gradient: it runs after the backward pass.
 */
export const NON_FINITE_COUNT = 'LabNonFiniteCount';
