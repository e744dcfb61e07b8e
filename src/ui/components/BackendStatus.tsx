import { adapterName, BACKEND_NAMES } from '../../worker/choose';
import { BACKEND_ORDER, isBackendChoice } from '../../worker/protocol';
import type { Validation } from '../config/draft';
import { useLab, useLabState } from '../lab/context';
import type { BackendState } from '../lab/store';

interface Props {
  validation: Validation;
  /** A run is live or paused: the backend cannot change under it. */
  busy: boolean;
}

/** The GPU adapter the page knows of (from the backend in use, or from the WebGPU probe), and whether it is a software one. */
function adapterOf(b: BackendState): { name: string; software: boolean } | undefined {
  const a = b.info?.adapter;
  if (a) return { name: adapterName(a), software: b.info?.software === true };
  const probe = b.probes?.find((p) => p.backend === 'webgpu' && p.adapter);
  return probe?.adapter ? { name: probe.adapter, software: probe.software === true } : undefined;
}

/** What the run bar says about the backend: which one, on which adapter, why, and a way to pick another. */
export function BackendStatus({ validation, busy }: Props) {
  const lab = useLab();
  const backend = useLabState((s) => s.backend);
  const info = backend.info;
  const adapter = adapterOf(backend);
  const name = backend.status === 'ready' && info
    ? BACKEND_NAMES[info.backend]
    : backend.status === 'choosing' ? `choosing${backend.probing ? ` (timing ${BACKEND_NAMES[backend.probing]})` : ''}…`
      : backend.status === 'error' ? 'none' : 'starting…';
  const onSoftware = info?.backend === 'webgpu' && info.software;
  return (
    <div className="runbar-backend" aria-label="Backend" role="group">
      <span>
        <span className="wide-only">Backend </span><strong className={`badge ${backend.status === 'ready' ? (onSoftware ? 'warn' : 'ok') : backend.status === 'error' ? 'bad' : ''}`} data-testid="backend-name" data-status={backend.status}>{name}</strong>
      </span>
      {adapter && (
        <span className={adapter.software ? 'software' : 'muted'} data-testid="adapter" title={`GPU adapter: ${adapter.name}`}>
          GPU: {adapter.software ? `software (${adapter.name}), ${onSoftware ? 'running on the CPU: expect it to be slow' : 'not used'}` : adapter.name}
        </span>
      )}
      {backend.reason && (
        <details className="why">
          <summary>Why?</summary>
          <p data-testid="backend-reason">{backend.reason}</p>
        </details>
      )}
      <label className="visually-hidden" htmlFor="backend-choice">Backend choice</label>
      <select
        id="backend-choice" value={backend.choice} disabled={busy || backend.status === 'starting' || backend.status === 'choosing'}
        onChange={(e) => isBackendChoice(e.target.value) && void lab.init(e.target.value, validation.run ? validation.raw : undefined)}
      >
        <option value="auto">auto (fastest)</option>
        {BACKEND_ORDER.map((b) => <option key={b} value={b}>{BACKEND_NAMES[b]}</option>)}
      </select>
    </div>
  );
}
