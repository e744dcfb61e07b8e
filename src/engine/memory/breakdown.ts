/**
 * Where the bytes of a training step go, as the engine counts them: TF.js's logical byte count
 * (`tf.memory().numBytes`, which counts every live tensor, an alias or a kept copy as much as a
 * tensor of its own). The measured breakdown is attached to every step's metrics
 * (`StepMetrics.memory`); `predictMemory(run)` estimates the same fields from a run config.
 *
 * The categories add up to `peak` (`other` is the remainder and is never negative):
 * parameters + gradients + optimizerState + savedActivations + halfCopies + other = peak.
 */
export interface MemoryBreakdown {
  /** fp32 master weights. */
  parameters: number;
  /** One gradient per parameter, alive at the end of the backward pass (equals `parameters`). */
  gradients: number;
  /** The optimizer's slots (Adam's two moments, SGD's momentum buffer, …) after the step. */
  optimizerState: number;
  /**
   * What the forward pass keeps for the backward pass (at float32), beyond `halfCopies`:
   * every saved op input and output, or when checkpointed the segment boundaries and what each
   * stack's last segment (not recomputed) saves. The largest over the step's micro-batches.
   */
  savedActivations: number;
  /** Segment boundaries kept packed at half size (fp16 / bf16 precision); 0 under fp32. */
  halfCopies: number;
  /**
   * Everything else at the peak: gradients of intermediate tensors (TF.js keeps them until the
   * backward pass ends), a recomputed segment's own activations and gradients, the running sum
   * of accumulated gradients, batch tensors, transients.
   */
  other: number;
  /** The step's high-water mark (every live tensor of the engine, weights included). */
  peak: number;
  /**
   * The backend's own figure after the step: bytes in GPU buffers in use on WebGPU, the logical
   * byte count elsewhere. 0 in a prediction.
   */
  backendInUse: number;
  /** WebGPU only: bytes in every buffer its pool holds (a high-water mark that never shrinks). */
  backendAllocated?: number;
  /**
   * With activation offloading: the segment boundaries waiting in host memory between the passes
   * (most over the step's micro-batches). Not device memory, so not part of `peak`.
   */
  host?: number;
}

/** The fields that sum to `peak`. */
export const MEMORY_PARTS = ['parameters', 'gradients', 'optimizerState', 'savedActivations', 'halfCopies', 'other'] as const;

export type MemoryPart = (typeof MEMORY_PARTS)[number];
