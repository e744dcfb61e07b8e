/** The backend's memory now, between steps: what answers `measureMemory` and `releaseCachedMemory`. */
import { webgpuPoolBytes } from '../engine/internals/webgpu';
import { liveMemory } from '../engine/memory/live';
import type { WorkerEvent } from './protocol';

/** The live tensors and bytes, and the WebGPU pool's figures when there is one; `releasedBytes`: what a release of the pool just freed. */
export function memoryNow(releasedBytes?: number): Extract<WorkerEvent, { type: 'memoryNow' }> {
  const live = liveMemory();
  const pool = webgpuPoolBytes();
  return {
    type: 'memoryNow', runId: null, liveTensors: live.tensors, liveBytes: live.bytes, inUse: pool?.inUse ?? live.bytes,
    ...(pool ? { allocated: pool.allocated, ...(releasedBytes !== undefined ? { releasedBytes } : {}) } : {}),
  };
}
