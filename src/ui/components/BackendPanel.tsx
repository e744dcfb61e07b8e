import { BACKEND_NAMES } from '../../worker/choose';
import { useLabState } from '../lab/context';
import { bytes, integer } from '../lab/format';

const limit = (key: string, v: number) => (/Size$/.test(key) && v >= 1024 ? bytes(v) : integer(v));
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/** Everything about the backend: the timings behind the choice, why others were passed over, what the adapter offers. */
export function BackendPanel() {
  const backend = useLabState((s) => s.backend);
  const info = backend.info;
  const fellBack = info?.attempts.some((a) => !a.ok && !a.reason?.startsWith('not tried'));
  return (
    <section className="card backend" aria-labelledby="backend-title">
      <div className="card-head">
        <h2 id="backend-title">Backend</h2>
        <span className="badge">{info ? BACKEND_NAMES[info.backend] : backend.status}</span>
      </div>
      {backend.error && <p className="field-error">{backend.error}</p>}
      {backend.probes && backend.probes.length > 0 && (
        <table className="limits" aria-label="Timed backends">
          <caption>One step of the config, timed on each backend</caption>
          <tbody>
            {backend.probes.map((p) => (
              <tr key={p.backend}>
                <th scope="row">{BACKEND_NAMES[p.backend]}{p.software ? ' (software GPU)' : ''}</th>
                <td>{p.status === 'timed' ? ms(p.ms) : p.status === 'slow' ? `over ${ms(p.limitMs)} (${p.phase})` : `failed: ${p.reason}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {info && (
        <>
          {fellBack && <p className="warning">Fell back to {BACKEND_NAMES[info.backend]}.</p>}
          <ul className="attempts" aria-label="Backends tried">
            {info.attempts.map((a) => (
              <li key={a.backend} className={a.ok ? 'ok' : 'skipped'}>
                <strong>{BACKEND_NAMES[a.backend]}</strong>: {a.ok ? 'in use' : a.reason}
              </li>
            ))}
          </ul>
          <p className="note">
            {info.isolated ? 'Cross-origin isolated' : 'Not cross-origin isolated'}
            {info.wasm ? ` · wasm SIMD ${info.wasm.simd ? 'on' : 'off'}, ${info.wasm.threads} XNNPACK thread${info.wasm.threads === 1 ? '' : 's'}` : ''}
          </p>
          {info.adapter && (
            <details className="adapter">
              <summary>
                Adapter: {[info.adapter.vendor, info.adapter.architecture, info.adapter.device].filter(Boolean).join(' ') || 'unnamed'}
                {info.adapter.description ? ` — ${info.adapter.description}` : ''}
                {info.software ? ' (software)' : ''}
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
