import { BACKEND_ORDER, isBackendChoice, type BackendChoice } from '../../worker/protocol';
import { useLab, useLabState } from '../lab/context';
import { bytes, integer } from '../lab/format';
import { LIVE_STATES } from './RunControls';

const NAMES: Record<string, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU (plain JS)' };

const limit = (key: string, v: number) => (/Size$/.test(key) && v >= 1024 ? bytes(v) : integer(v));

/** Which backend trains, why the ones before it were passed over, and what the adapter offers. */
export function BackendPanel() {
  const lab = useLab();
  const backend = useLabState((s) => s.backend);
  const run = useLabState((s) => s.run);
  const busy = run !== undefined && (LIVE_STATES.includes(run.state) || run.state === 'paused');
  const info = backend.info;
  const fellBack = info?.attempts.some((a) => !a.ok && !a.reason?.startsWith('not tried'));
  return (
    <section className="card backend" aria-labelledby="backend-title">
      <div className="card-head">
        <h2 id="backend-title">Backend</h2>
        <span className={`badge ${backend.status === 'ready' ? 'ok' : backend.status === 'error' ? 'bad' : ''}`} data-testid="backend-name">
          {backend.status === 'ready' && info ? NAMES[info.backend] : backend.status === 'error' ? 'none' : 'starting…'}
        </span>
      </div>
      <div className="field field-select">
        <label htmlFor="field-backend">Backend choice</label>
        <select id="field-backend" value={backend.choice} disabled={busy || backend.status === 'starting'} onChange={(e) => isBackendChoice(e.target.value) && lab.init(e.target.value as BackendChoice)}>
          <option value="auto">auto: the best available</option>
          {BACKEND_ORDER.map((b) => <option key={b} value={b}>{NAMES[b]} first</option>)}
        </select>
      </div>
      {backend.error && <p className="field-error">{backend.error}</p>}
      {info && (
        <>
          {fellBack && <p className="warning">Fell back to {NAMES[info.backend]}.</p>}
          <ul className="attempts" aria-label="Backends tried">
            {info.attempts.map((a) => (
              <li key={a.backend} className={a.ok ? 'ok' : 'skipped'}>
                <strong>{NAMES[a.backend]}</strong>: {a.ok ? 'in use' : a.reason}
              </li>
            ))}
          </ul>
          <p className="note">
            {info.isolated ? 'Cross-origin isolated' : 'Not cross-origin isolated'}
            {info.wasm ? ` · wasm SIMD ${info.wasm.simd ? 'on' : 'off'}, threads ${info.wasm.threads ? 'on' : 'off'}` : ''}
          </p>
          {info.adapter && (
            <details className="adapter">
              <summary>
                Adapter: {[info.adapter.vendor, info.adapter.architecture, info.adapter.device].filter(Boolean).join(' ') || 'unnamed'}
                {info.adapter.description ? ` — ${info.adapter.description}` : ''}
              </summary>
              <table className="limits">
                <caption>Limits</caption>
                <tbody>
                  {Object.entries(info.adapter.limits).map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{limit(k, v)}</td></tr>)}
                </tbody>
              </table>
              <p className="features"><strong>Features:</strong> {info.adapter.features.join(', ') || 'none'}</p>
            </details>
          )}
        </>
      )}
    </section>
  );
}
