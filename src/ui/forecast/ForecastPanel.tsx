import { useEffect, useId, useState } from 'react';
import { isForecastRun } from '../../engine/runConfig';
import { useLab, useLabState } from '../lab/context';
import { ColourScale } from '../tryit/ColourScale';
import { Heatmap } from '../tryit/Heatmap';
import { ForecastChart } from './ForecastChart';
import './forecast.css';

const ALL_HEADS = -1;

/**
 * A forecaster's forecasts against the truth, window by window (scrub through a split's windows,
 * pick a variate), and its variate-to-variate attention for the window shown: which variates
 * each variate's token read from, iTransformer's own reading of what the model learned.
 */
export function ForecastPanel() {
  const lab = useLab();
  const id = useId();
  const run = useLabState((s) => s.run);
  const view = useLabState((s) => s.forecastWindow);
  const [split, setSplit] = useState<'val' | 'test'>('val');
  const [index, setIndex] = useState(0);
  const [variate, setVariate] = useState(0);
  const [layer, setLayer] = useState(0);
  const [head, setHead] = useState(ALL_HEADS);
  const evals = run?.metrics.evals.length ?? 0;
  const forecast = run !== undefined && isForecastRun(run.config);
  const live = run?.live ?? false;
  // Ask again when the window changes, and when the weights do (every evaluation).
  useEffect(() => {
    if (forecast && live) lab.inspectWindow(split, index);
  }, [lab, forecast, live, run?.id, split, index, evals]);
  if (!run || !isForecastRun(run.config)) return null;
  const w = view?.runId === run.id ? view.value : undefined;
  const columns = run.config.task.columns;
  const windows = w?.windows ?? 1;
  const j = Math.min(variate, columns.length - 1);
  const map = w?.attention.find((a) => a.layer === layer) ?? w?.attention[0];
  const heads = map ? (head === ALL_HEADS ? map.heads.map((_, h) => h) : [Math.min(head, map.heads.length - 1)]) : [];
  return (
    <section className="card forecast" aria-labelledby={`${id}-title`} data-testid="forecast-panel">
      <div className="card-head">
        <h2 id={`${id}-title`}>Forecasts</h2>
        <div className="chart-controls">
          <label>
            Split{' '}
            <select value={split} onChange={(e) => { setSplit(e.target.value as 'val' | 'test'); setIndex(0); }}>
              <option value="val">validation</option>
              <option value="test">test</option>
            </select>
          </label>
          <label>
            Variate{' '}
            <select value={j} onChange={(e) => setVariate(Number(e.target.value))} aria-label="Variate">
              {columns.map((c, k) => <option key={c} value={k}>{c}</option>)}
            </select>
          </label>
        </div>
      </div>
      <div className="forecast-scrub">
        <label htmlFor={`${id}-window`}>Window {Math.min(index, windows - 1) + 1} of {windows}{w ? ` (targets from row ${w.row + 2})` : ''}</label>
        <input id={`${id}-window`} type="range" min={0} max={windows - 1} value={Math.min(index, windows - 1)} onChange={(e) => setIndex(Number(e.target.value))} disabled={!live} />
      </div>
      {!live && <p className="note">This run has no live model: resume it, or import its weights, to see its forecasts.</p>}
      {view?.error && <p className="note error">{view.error}</p>}
      {w ? <ForecastChart inspection={w} variate={j} /> : live && <p className="note">Forecasting…</p>}
      {w && map && (
        <div className="forecast-attention">
          <div className="chart-controls">
            <span>Variate-to-variate attention</span>
            <label>
              Layer{' '}
              <select value={map.layer} onChange={(e) => setLayer(Number(e.target.value))}>
                {w.attention.map((a) => <option key={a.layer} value={a.layer}>{a.layer + 1}</option>)}
              </select>
            </label>
            <label>
              Head{' '}
              <select value={head} onChange={(e) => setHead(Number(e.target.value))}>
                <option value={ALL_HEADS}>all</option>
                {map.heads.map((_, h) => <option key={h} value={h}>{h + 1}</option>)}
              </select>
            </label>
          </div>
          <p className="note">Row: the variate whose token attends; column: the variate it reads from.</p>
          <div className="tryit-maps">
            {heads.map((h) => (
              <Heatmap key={h} title={`layer ${map.layer + 1}, head ${h + 1}`} weights={map.heads[h]!} rowLabels={columns} columnLabels={columns} cell={heads.length > 1 ? 18 : 26} />
            ))}
          </div>
          <ColourScale />
        </div>
      )}
    </section>
  );
}
