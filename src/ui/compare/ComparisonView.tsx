import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ConfigError } from '../../engine/validation';
import { useInView } from '../charts/drawQueue';
import { Later } from '../charts/Later';
import { useChartSettings, XAxisPicker, type XAxisKind } from '../charts/settings';
import { useLab, useLabState } from '../lab/context';
import { runsOf, toKept, type LibraryState } from '../lab/library';
import { comparisonFileText, parseComparisonFile } from '../storage/comparisonFile';
import { SINGLE_RUNS } from '../storage/records';
import { DifferenceChart, OverlayChart, type LegendActions, type OverlayRun } from './OverlayChart';
import { runColor, runDash } from './palette';
import { evalPlanOf } from '../../tasks/metrics';
import { differenceLabel, differencePoints, METRICS, metricsFor, settingColumns, type MetricKey } from './series';
import { columnsFor, COLUMNS, type ColumnKey } from './summary';
import { SummaryTable } from './SummaryTable';
import { SampleComparison } from '../text/SampleComparison';

const TRAINING_REFRESH_MS = 3000;
const COLUMNS_KEY = 'transformer-lab/columns';

/** `value`, changing at most once every `ms` (at once when `ms` is 0; never while `frozen`). */
function useThrottled<T>(value: T, ms: number, frozen = false): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (frozen || Object.is(value, shown)) return;
    const wait = last.current + ms - performance.now();
    if (ms === 0 || wait <= 0) {
      last.current = performance.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, shown, ms, frozen]);
  return ms === 0 && !frozen ? value : shown;
}

/** The metric columns shown, as the user last chose them (kept in this browser). */
function useShownColumns(): [ReadonlySet<ColumnKey>, (key: ColumnKey, on: boolean) => void] {
  const [shown, setShown] = useState<ReadonlySet<ColumnKey>>(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') as unknown;
      if (Array.isArray(saved)) return new Set(COLUMNS.map((c) => c.key).filter((k) => saved.includes(k)));
    } catch {
      // no storage, or something else in it: the defaults
    }
    return new Set(COLUMNS.filter((c) => c.shown).map((c) => c.key));
  });
  const set = useCallback((key: ColumnKey, on: boolean) => {
    setShown((s) => {
      const next = new Set(s);
      if (on) next.add(key);
      else next.delete(key);
      try {
        localStorage.setItem(COLUMNS_KEY, JSON.stringify([...next]));
      } catch {
        // not kept: fine for this page
      }
      return next;
    });
  }, []);
  return [shown, set];
}

let importCounter = 0;
const importId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-i${(++importCounter).toString(36)}`;

/**
 * The kept comparisons: pick one, see its runs overlaid (each run its colour and dash pattern;
 * hover one to pick it out, hide it or show it alone), the difference to a baseline, and the table.
 * While a run trains its own charts above follow it closely; this card follows it every few
 * seconds, and does not render in between.
 */
export function ComparisonView() {
  const library = useLabState((s) => s.library);
  // The live run's metrics grow in place: its version marks each change.
  const live = useLabState((s) => (s.run ? `${s.run.id}\n${s.run.state}\n${s.run.metrics.version}` : ''));
  const [ref, visible] = useInView<HTMLDivElement>();
  const state = live.split('\n')[1];
  const training = state === 'running' || state === 'starting';
  // Scrolled away while a run trains, the card waits (a new run's row included): it catches up
  // when it comes into view, or when the run stops. The training run's step cell follows it live.
  const now = useMemo(() => ({ library, live }), [library, live]);
  const shown = useThrottled(now, training ? TRAINING_REFRESH_MS : 0, training && !visible);
  return (
    <div ref={ref}>
      <Comparison library={shown.library} live={shown.live} />
    </div>
  );
}

interface ComparisonProps {
  library: LibraryState;
  /** Changes whenever the training run's metrics do (every few seconds while it trains). */
  live: string;
}

const Comparison = memo(function Comparison({ library }: ComparisonProps) {
  const lab = useLab();
  const { xAxis } = useChartSettings();
  const fileInput = useRef<HTMLInputElement>(null);
  const comparison = library.comparisons.find((c) => c.id === library.selected) ?? SINGLE_RUNS;
  const runs = runsOf(library, comparison.id);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [highlight, setHighlight] = useState<string>();
  const [shownColumns, showColumn] = useShownColumns();
  const settings = useMemo(() => settingColumns(runs.map((r) => r.config)), [runs]);
  const colors = useMemo(() => new Map(runs.map((r, i) => [r.id, runColor(i)])), [runs]);
  const overlay: OverlayRun[] = useMemo(
    () => runs.map((r, i) => ({ id: r.id, index: i, color: colors.get(r.id)!, dash: runDash(i), hidden: hidden.has(r.id), metrics: r.metrics, label: comparison.grid ? r.name : differenceLabel(r.config, settings) || r.name })),
    [runs, colors, settings, comparison.grid, hidden],
  );
  // The runs' metrics grow in place: this changes with them (read when the card renders).
  const version = runs.map((r) => `${r.id}:${r.metrics.version}`).join(',');
  const [baselineId, setBaselineId] = useState<string>();
  const [diffMetric, setDiffMetric] = useState<MetricKey>('loss');
  const baseline = overlay.find((r) => r.id === baselineId) ?? overlay[0];
  // Each task's own metrics (tasks/metrics.ts): exact match, bits per character, a forecast's MAE.
  const metricKeys = useMemo(() => metricsFor(runs.map((r) => r.config)), [runs]);
  // Runs that write: their samples at one step, side by side.
  const writers = useMemo(() => overlay.filter((_, i) => evalPlanOf(runs[i]!.config.task.name).sample), [overlay, runs]);
  const toggle = useCallback((id: string, solo: boolean) => {
    setHidden((h) => {
      if (!solo) {
        const next = new Set(h);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }
      const others = runs.filter((r) => r.id !== id).map((r) => r.id);
      const alreadySolo = !h.has(id) && others.every((o) => h.has(o));
      return alreadySolo ? new Set() : new Set(others);
    });
  }, [runs]);
  const actions = useMemo<LegendActions>(() => ({ onHover: setHighlight, onToggle: toggle }), [toggle]);
  const now = useMemo(() => ({ overlay, version, diffMetric, baseline, x: xAxis, actions }), [overlay, version, diffMetric, baseline, xAxis, actions]);
  const highlighted = overlay.find((r) => r.id === highlight);
  // Charts scrolled away redraw once when a run appears, goes, or gets its first steps.
  const identity = `${comparison.id}:${runs.map((r) => `${r.id}${r.metrics.length > 0 ? '+' : '-'}`).join(',')}`;

  const exportComparison = async () => {
    const checkpoints = await lab.shelf.checkpoints(runs.map((r) => r.id));
    lab.save(`transformer-lab-${comparison.name.replace(/[^\w-]+/g, '-')}.comparison.json`, comparisonFileText(comparison, runs.map((r) => ({ ...toKept(r), metrics: r.metrics.toData() })), checkpoints));
  };
  const importComparison = async (file: File | undefined) => {
    if (!file) return;
    try {
      const read = parseComparisonFile(await file.text(), importId);
      lab.shelf.addComparison(read.comparison, read.runs, read.metrics, read.checkpoints);
      lab.store.update((s) => ({ ...s, notice: `Imported “${read.comparison.name}” with ${read.runs.length} runs.` }));
    } catch (e) {
      const message = e instanceof ConfigError ? e.message : (e as Error).message;
      lab.store.update((s) => ({ ...s, error: { runId: null, kind: 'config', message: `the comparison file was not imported: ${message}`, suggestion: 'Choose a comparison file exported by the lab. Nothing kept was changed.', fatal: false } }));
    }
  };

  return (
    <section className="card comparison" aria-labelledby="comparison-title">
      {/* Hover highlighting restyles the lines in place: no chart redraws for it. */}
      <style>{highlighted ? `.comparison .run-line { opacity: 0.2; } .comparison .run-line.run-${highlighted.index} { opacity: 1; } .comparison .run-line.run-${highlighted.index} path { stroke-width: 3px; }` : ''}</style>
      <div className="card-head">
        <h2 id="comparison-title">Runs</h2>
        <div className="buttons">
          <label className="visually-hidden" htmlFor="comparison-select">Comparison</label>
          <select id="comparison-select" value={comparison.id} onChange={(e) => lab.shelf.select(e.target.value)}>
            {library.comparisons.map((c) => <option key={c.id} value={c.id}>{c.name} ({runsOf(library, c.id).length})</option>)}
          </select>
          {comparison.id !== SINGLE_RUNS.id && (
            <button type="button" onClick={() => { const n = window.prompt('Name of this comparison', comparison.name); if (n) lab.shelf.renameComparison(comparison.id, n); }}>Rename</button>
          )}
          {runs.some((r) => r.status === 'queued') && <button type="button" onClick={() => lab.shelf.runQueued(comparison.id)}>Run queued</button>}
          <button type="button" disabled={runs.length === 0} onClick={() => void exportComparison()}>Export comparison</button>
          <button type="button" onClick={() => fileInput.current?.click()}>Import comparison</button>
          <button type="button" disabled={runs.length === 0} onClick={() => lab.shelf.removeComparison(comparison.id)}>Delete all</button>
        </div>
      </div>
      {library.status === 'unavailable' && <p className="note">{library.message}</p>}
      {runs.length === 0 ? <p className="note">No runs here yet: press Start, or build a grid above.</p> : (
        <>
          <div className="table-tools">
            <details className="column-chooser">
              <summary>Columns</summary>
              <fieldset>
                <legend className="visually-hidden">Columns of the runs table</legend>
                {columnsFor(runs).map((c) => (
                  <label key={c.key} className="inline" title={c.help}>
                    <input type="checkbox" checked={shownColumns.has(c.key)} onChange={(e) => showColumn(c.key, e.target.checked)} /> {c.label}
                  </label>
                ))}
              </fieldset>
            </details>
            {hidden.size > 0 && <button type="button" onClick={() => setHidden(new Set())}>Show all runs</button>}
            <XAxisPicker id="compare-x-axis" />
          </div>
          <SummaryTable
            runs={runs} colors={colors} settings={settings} shown={shownColumns} hidden={hidden}
            onShow={(id, show) => setHidden((h) => { const next = new Set(h); if (show) next.delete(id); else next.add(id); return next; })}
            onSolo={(id) => toggle(id, true)} onHover={setHighlight}
          />
          {writers.length > 0 && <SampleComparison runs={writers} version={version} />}
          <div className="charts">
            {metricKeys.map((k) => <Later key={k} now={now} identity={identity} chart={(d) => <OverlayChart metric={k} runs={d.overlay} version={d.version} x={d.x} {...d.actions} />} />)}
          </div>
          {overlay.length > 1 && baseline && (
            <div className="difference">
              <div className="buttons">
                <label htmlFor="diff-metric">Difference of</label>
                <select id="diff-metric" value={diffMetric} onChange={(e) => setDiffMetric(e.target.value as MetricKey)}>
                  {metricKeys.map((k) => <option key={k} value={k}>{METRICS[k].title}</option>)}
                </select>
                <label htmlFor="diff-baseline">against</label>
                <select id="diff-baseline" value={baseline.id} onChange={(e) => setBaselineId(e.target.value)}>
                  {overlay.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
                </select>
              </div>
              <Later now={now} wide identity={identity} chart={(d) => <Difference {...d} />} />
            </div>
          )}
        </>
      )}
      <input
        ref={fileInput} className="visually-hidden" type="file" accept=".json,application/json" tabIndex={-1} aria-label="Comparison file" data-testid="comparison-file"
        onChange={(e) => { const f = e.currentTarget.files?.[0]; e.currentTarget.value = ''; void importComparison(f); }}
      />
    </section>
  );
});

interface Drawn {
  overlay: OverlayRun[];
  version: string;
  diffMetric: MetricKey;
  baseline?: OverlayRun;
  x: XAxisKind;
  actions: LegendActions;
}

const Difference = memo(function Difference({ overlay, diffMetric, baseline, x, actions }: Drawn) {
  if (!baseline) return null;
  const lines = overlay.filter((r) => r.id !== baseline.id).map(({ metrics, ...r }) => ({ ...r, points: differencePoints(diffMetric, metrics, baseline.metrics, x) }));
  return <DifferenceChart metric={diffMetric} baseline={baseline.label} lines={lines} x={x} {...actions} />;
});
