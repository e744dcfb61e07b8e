import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdFinite } from '../../internals/simdFinite';
import { heapBits, heapMemory, heapOffset } from '../../internals/wasmAsm';
import { NON_FINITE_COUNT } from './contract';

/** An infinity or a NaN: every exponent bit set. */
const nonFiniteBits = (bits: number) => (bits & 0x7f800000) === 0x7f800000;

/**
 * One pass over each input where it lies on the heap, SIMD over whole groups and a loop over
 * the rest: no mask tensor per input, and one kernel for a model's worth of gradients (the
 * IsFinite and All pair it replaces cost two kernels and a bool mask per gradient).
 */
function nonFiniteCount({ inputs, backend }: { inputs: Record<string, TensorInfo>; backend: unknown }): TensorInfo {
  const wasm = backend as BackendWasm;
  const finite = simdFinite(heapMemory(wasm.wasm));
  let count = 0;
  for (const x of Object.values(inputs)) {
    const bits = heapBits(wasm, x);
    const groups = finite ? Math.floor(bits.length / finite.group) * finite.group : 0;
    if ((finite !== null && groups > 0 && finite.hasNonFinite(heapOffset(wasm, x), groups)) || bits.subarray(groups).some(nonFiniteBits)) count++;
  }
  const out = wasm.makeOutput([], 'float32');
  wasm.typedArrayFromHeap(out)[0] = count;
  return out;
}

export const wasmNonFiniteCount: KernelConfig = { kernelName: NON_FINITE_COUNT, backendName: 'wasm', kernelFunc: nonFiniteCount as unknown as KernelFunc };
