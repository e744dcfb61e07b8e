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

/**
 * The WGSL kernels on WebGPU run in Node now (tests/engine/kernels/half.test.ts on Dawn, the
 * same cases): the page keeps what needs it, WebGL's composite fallback.
 */
export const PASSES: Pass[] = [
  // webgl has no kernels: the public functions route to the composite, which stores float32
  // unpacked. SwiftShader's GL flushes float32 subnormals (measured), as GPUs may.
  { backend: 'webgl', impl: { ...KERNELS, name: 'routed', packs: false }, options: { flushesSubnormals: true }, kernels: false },
];
