/**
 * What a WebGPU adapter says about itself, in a form that survives JSON (bench --json, the
 * worker's ready event). Plain TypeScript: the page and Node describe their adapters alike.
 */
export interface AdapterReport {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** Dawn's SwiftShader and other CPU implementations say so here. */
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: string[];
}

/** The limits worth showing first, in this order; any others the adapter lists follow. */
const LIMITS = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage'];

export function describeAdapter(adapter: GPUAdapter): AdapterReport {
  const limits: Record<string, number> = {};
  // The limits are getters on the prototype: `for…in` sees them, Object.keys does not.
  const source = adapter.limits as unknown as Record<string, unknown>;
  const keys = [...LIMITS];
  for (const k in source) if (!keys.includes(k)) keys.push(k);
  for (const k of keys) if (typeof source[k] === 'number') limits[k] = source[k];
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  return {
    vendor: info?.vendor || undefined,
    architecture: info?.architecture || undefined,
    device: info?.device || undefined,
    description: info?.description || undefined,
    ...(typeof info?.isFallbackAdapter === 'boolean' ? { isFallbackAdapter: info.isFallbackAdapter } : {}),
    limits,
    features: [...adapter.features].map(String).sort(),
  };
}

/** One line for a terminal: the adapter's name and whether it computes in half. */
export function adapterLine(a: AdapterReport): string {
  const name = a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const half = a.features.includes('shader-f16') ? 'shader-f16' : 'no shader-f16';
  return `${name}${a.isFallbackAdapter ? ' (CPU fallback)' : ''}, ${half}, ${a.features.length} features, maxBufferSize ${a.limits.maxBufferSize ?? '?'}`;
}
