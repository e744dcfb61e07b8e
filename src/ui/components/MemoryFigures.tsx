import type { MemoryPrediction } from '../../worker/protocol';
import { CATEGORY_HELP, HOST_HELP } from '../charts/palette';
import { integer, mibText } from '../lab/format';
import type { RunMetrics } from '../lab/metrics';
import { useLab, useLabState } from '../lab/context';

export interface Figures {
  /** The engine's highest step peak so far. */
  measured?: number;
  /** The backend's bytes in use after the last step. */
  inUse?: number;
  /** WebGPU: every buffer its pool holds (a high-water mark). */
  allocated?: number;
  /** Offloaded runs: the most boundary bytes that waited in host memory. */
  host?: number;
  /** The backend's live tensors after the last step, and their bytes. */
  live?: { tensors: number; bytes: number };
}

const maxOf = (values: readonly number[]) => values.reduce<number | undefined>((m, v) => (Number.isFinite(v) && (m === undefined || v > m) ? v : m), undefined);

export function memoryFigures(m: RunMetrics): Figures {
  const mem = m.memory;
  const allocated = mem.allocated.at(-1);
  const tensors = m.liveTensors.at(-1);
  const bytes = m.liveBytes.at(-1);
  return {
    ...(tensors !== undefined && bytes !== undefined && Number.isFinite(tensors) ? { live: { tensors, bytes } } : {}),
    ...(maxOf(mem.peak) !== undefined ? { measured: maxOf(mem.peak)! } : {}),
    ...(mem.inUse.length ? { inUse: mem.inUse.at(-1)! } : {}),
    ...(allocated !== undefined && Number.isFinite(allocated) ? { allocated } : {}),
    ...(maxOf(mem.host) !== undefined ? { host: maxOf(mem.host)! } : {}),
  };
}

/**
 * The memory card's figures, each with what it counts: the measured and predicted peaks (the
 * same quantity, so they compare), and the backend's own in-use and allocated bytes (another
 * quantity: what stays after a step, what the pool holds).
 */
export function MemoryFigures({ figures: measured, predicted }: { figures: Figures; predicted?: MemoryPrediction | null }) {
  const lab = useLab();
  const onWebGPU = useLabState((s) => s.backend.info?.backend === 'webgpu');
  const pool = useLabState((s) => s.pool);
  // After a release the pool's own figures are newer than the last step's.
  const figures = pool ? { ...measured, inUse: pool.inUse, allocated: pool.allocated } : measured;
  const peak = predicted?.bytes.peak;
  const off = figures.measured !== undefined && peak !== undefined && peak > 0 ? (figures.measured / peak - 1) * 100 : undefined;
  return (
    <div className="memory-figures">
      <dl>
        <div>
          <dt>Measured peak</dt>
          <dd data-testid="measured-peak">{mibText(figures.measured)}</dd>
          <dd className="help">the highest any step reached: every live tensor, as the engine counts them</dd>
        </div>
        <div>
          <dt>Predicted peak</dt>
          <dd>{mibText(peak)}{off !== undefined ? ` (measured ${off >= 0 ? '+' : '−'}${Math.abs(off).toFixed(1)}%)` : ''}</dd>
          <dd className="help">from the config alone, before training</dd>
        </div>
        <div>
          <dt>Backend in use</dt>
          <dd data-testid="backend-in-use" data-bytes={figures.inUse}>{mibText(figures.inUse)}</dd>
          <dd className="help">after the last step: weights, optimizer state and what the backend keeps for the next step</dd>
        </div>
        <div>
          <dt>Backend allocated</dt>
          <dd data-testid="backend-allocated" data-bytes={figures.allocated}>
            {figures.allocated === undefined ? '— (WebGPU only)' : mibText(figures.allocated)}
            {pool ? ` (${mibText(pool.releasedBytes)} released)` : ''}
          </dd>
          <dd className="help">every buffer the WebGPU pool holds, in use or free: it only shrinks when cached memory is released</dd>
        </div>
        {(figures.host !== undefined || predicted?.bytes.host !== undefined) && (
          <div>
            <dt>Host memory (offloaded)</dt>
            <dd data-testid="host-memory">{mibText(figures.host)}{predicted?.bytes.host !== undefined ? ` (predicted ${mibText(predicted.bytes.host)})` : ''}</dd>
            <dd className="help">{HOST_HELP}</dd>
          </div>
        )}
        <div>
          <dt>Live tensors</dt>
          <dd data-testid="live-tensors">{figures.live ? `${integer(figures.live.tensors)} (${mibText(figures.live.bytes)})` : '—'}</dd>
          <dd className="help">after the last step read back: the same count step after step means nothing leaks</dd>
        </div>
      </dl>
      {onWebGPU && (
        <button type="button" className="quiet" onClick={() => lab.releaseCachedMemory()} title="Frees the buffers the WebGPU pool keeps for reuse (torch.cuda.empty_cache): live tensors keep theirs">
          Release cached GPU memory
        </button>
      )}
      <p className="note"><strong>Other</strong>: {CATEGORY_HELP.other}</p>
    </div>
  );
}
