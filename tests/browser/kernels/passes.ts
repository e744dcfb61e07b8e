import type { CaseOptions, HalfImpl } from '../../engine/kernels/halfCases';
import { KERNELS } from '../../engine/kernels/halfCases';

/** One run of the shared cases on one backend in the page. */
export interface Pass {
  backend: 'webgpu' | 'webgl';
  impl: HalfImpl;
  options: CaseOptions;
  /** Whether the custom kernels should run there (else the composite fallback). */
  kernels: boolean;
}

export const PASSES: Pass[] = [
  { backend: 'webgpu', impl: KERNELS, options: {}, kernels: true },
  // webgl has no kernels: the public functions route to the composite, which stores float32
  // unpacked. SwiftShader's GL flushes float32 subnormals (measured), as GPUs may.
  { backend: 'webgl', impl: { ...KERNELS, name: 'routed', packs: false }, options: { flushesSubnormals: true }, kernels: false },
];
