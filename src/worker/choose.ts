/**
 * Which backend a run should train on, decided from what the machine offers and one timed step.
 *
 * - A software adapter (SwiftShader, llvmpipe/lavapipe, WARP, "Microsoft Basic Render Driver")
 *   runs WebGPU on the CPU, far slower than the wasm backend: it is named as such everywhere.
 * - Before the first run the page times one small step of the current config on each backend
 *   worth trying (probe.ts, each in a worker of its own that the page ends at the deadline) and
 *   trains on the fastest.
 *
 * Plain TypeScript (types only from the protocol): the page decides with it.
 */
import { BACKEND_ORDER, type AdapterReport, type BackendName } from './protocol';

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render driver/i;

/** Whether an adapter is a software rasteriser, from what it says about itself. */
export function isSoftwareAdapter(a: Pick<AdapterReport, 'vendor' | 'architecture' | 'device' | 'description'>, fallbackAdapter = false): boolean {
  return fallbackAdapter || SOFTWARE.test([a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' '));
}

/** The adapter's name for a sentence ("SwiftShader Device (Subzero)", "nvidia ampere"). */
export function adapterName(a: Pick<AdapterReport, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  return a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'an unnamed adapter';
}

export const BACKEND_NAMES: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU (plain JS)' };

/** How one backend's probe ended. */
export type ProbeOutcome =
  /** One step of the probe config took `ms` (the median of a few, after a warm-up step). */
  | { backend: BackendName; status: 'timed'; ms: number; software?: boolean; adapter?: string }
  /** The probe passed its deadline in `phase` and was ended: slower than `limitMs` there. */
  | { backend: BackendName; status: 'slow'; phase: 'setup' | 'warm-up' | 'step'; limitMs: number; software?: boolean; adapter?: string }
  | { backend: BackendName; status: 'failed'; reason: string; software?: boolean; adapter?: string };

export interface Choice {
  /** Undefined when no backend worked: the worker's own fallback chain decides. */
  backend?: BackendName;
  /** One sentence on why, for the header and the backend panel. */
  reason: string;
}

/** Timings within this fraction of the fastest count as a tie, broken by the preferred order. */
const TIE = 0.1;

const rank = (o: ProbeOutcome) => (o.software ? BACKEND_ORDER.length : 0) + BACKEND_ORDER.indexOf(o.backend);

const seconds = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

function describe(o: ProbeOutcome): string {
  const name = BACKEND_NAMES[o.backend] + (o.software && o.adapter ? ` on ${o.adapter} (a software GPU)` : o.software ? ' (a software GPU)' : '');
  switch (o.status) {
    case 'timed':
      return `${name} ${seconds(o.ms)}`;
    case 'slow':
      return `${name} over ${seconds(o.limitMs)}${o.phase === 'step' ? '' : ` to ${o.phase === 'setup' ? 'set up' : 'warm up'}`}`;
    case 'failed':
      return `${name} failed (${o.reason})`;
  }
}

/**
 * The fastest timed backend; ties go to the preferred order (hardware before software). With
 * nothing timed, the first backend that did not fail, hardware first. `reason` names the
 * timings behind the choice, and says plainly when the GPU is a software one.
 */
export function chooseBackend(probes: readonly ProbeOutcome[]): Choice {
  const timed = probes.filter((p): p is Extract<ProbeOutcome, { status: 'timed' }> => p.status === 'timed');
  const software = probes.find((p) => p.software);
  const softwareNote = software ? ` The GPU adapter${software.adapter ? `, ${software.adapter},` : ''} is a software one: it runs on the CPU.` : '';
  const others = (chosen: BackendName) => probes.filter((p) => p.backend !== chosen).map(describe);
  const versus = (chosen: BackendName) => (others(chosen).length ? `; ${others(chosen).join('; ')}` : '');
  if (timed.length > 0) {
    const fastest = Math.min(...timed.map((p) => p.ms));
    const pick = timed.filter((p) => p.ms <= fastest * (1 + TIE)).sort((a, b) => rank(a) - rank(b))[0]!;
    const slowest = Math.max(...probes.map((p) => (p.status === 'timed' ? p.ms : p.status === 'slow' ? p.limitMs : 0)));
    const factor = slowest / pick.ms;
    const lead = factor >= 1.5 ? `, at least ${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}× faster than the slowest` : '';
    return { backend: pick.backend, reason: `${BACKEND_NAMES[pick.backend]} was fastest on one step of this config (${seconds(pick.ms)}${lead}${versus(pick.backend)}).${softwareNote}` };
  }
  const usable = probes.filter((p) => p.status === 'slow').sort((a, b) => rank(a) - rank(b));
  if (usable.length > 0) {
    const pick = usable[0]!;
    return { backend: pick.backend, reason: `No backend finished a timed step in time; ${BACKEND_NAMES[pick.backend]} is the preferred one that works (${probes.map(describe).join('; ')}).${softwareNote}` };
  }
  return { reason: `No backend could be timed (${probes.map(describe).join('; ') || 'none tried'}); the worker tries each in turn.` };
}

/** What the probes wait for, per phase (ms): generous where a real GPU compiles its shaders. */
export function probeLimit(phase: 'setup' | 'warm-up' | 'step', opts: { software?: boolean; bestMs?: number }): number {
  switch (phase) {
    case 'setup':
      return 8000;
    case 'warm-up':
      return opts.software ? 1000 : 4000;
    case 'step':
      return opts.bestMs === undefined ? 2000 : Math.max(300, 3 * opts.bestMs);
  }
}

/**
 * The backends to time, in order, given those already probed: WebAssembly (the fast CPU path)
 * and WebGPU always; WebGL only when WebGPU did not work, the plain CPU backend only when
 * WebAssembly did not (each is the other's fallback, and a probe costs a second).
 */
export function nextProbe(done: readonly ProbeOutcome[]): BackendName | undefined {
  const failed = (b: BackendName) => done.some((p) => p.backend === b && p.status === 'failed');
  const tried = (b: BackendName) => done.some((p) => p.backend === b);
  const plan: BackendName[] = ['wasm', 'webgpu'];
  if (failed('webgpu')) plan.push('webgl');
  if (failed('wasm')) plan.push('cpu');
  return plan.find((b) => !tried(b));
}
