import { MEMORY_CATEGORIES } from '../../worker/protocol';
import { CATEGORY_COLORS, CATEGORY_HELP, CATEGORY_LABELS, COLORS, HOST_HELP } from '../charts/palette';
import { useLabState } from '../lab/context';
import { integer, mibText } from '../lab/format';

/** The predicted memory of the config being edited, by category: known before anything runs. */
export function MemoryPrediction() {
  const prediction = useLabState((s) => s.prediction);
  const p = prediction?.value;
  return (
    <section className="prediction" aria-labelledby="prediction-title">
      <h4 id="prediction-title">
        Predicted memory for this config
        {p && <span className="badge" data-testid="predicted-peak">{p.partial ? '≥ ' : ''}{mibText(p.bytes.peak ?? MEMORY_CATEGORIES.reduce((n, c) => n + (p.bytes[c] ?? 0), 0))}</span>}
      </h4>
      {!p && <p className="note">{prediction ? 'Fix the configuration to see a prediction.' : 'Predicting…'}</p>}
      {p && (
        <>
          <div className="stack" aria-hidden="true">
            {MEMORY_CATEGORIES.map((c) => (p.bytes[c] ? <span key={c} style={{ flexGrow: p.bytes[c], background: CATEGORY_COLORS[c] }} /> : null))}
          </div>
          <table className="breakdown">
            <tbody>
              <tr><th scope="row">Parameters (count)</th><td>{integer(p.parameterCount)}</td></tr>
              {MEMORY_CATEGORIES.map((c) => (
                <tr key={c} title={CATEGORY_HELP[c]}>
                  <th scope="row"><i className="swatch" style={{ background: CATEGORY_COLORS[c] }} />{CATEGORY_LABELS[c]}</th>
                  <td>{mibText(p.bytes[c])}</td>
                </tr>
              ))}
              <tr className="total"><th scope="row">Peak</th><td>{mibText(p.bytes.peak)}</td></tr>
              {p.bytes.host !== undefined && (
                <tr title={HOST_HELP} data-testid="predicted-host">
                  <th scope="row"><i className="swatch" style={{ background: COLORS.host }} />Host memory (not on the device)</th>
                  <td>{mibText(p.bytes.host)}</td>
                </tr>
              )}
            </tbody>
          </table>
          {p.note && <p className="note">Partial prediction: {p.note}.</p>}
        </>
      )}
    </section>
  );
}
