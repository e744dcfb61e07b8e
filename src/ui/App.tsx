import { useCallback, useEffect, useMemo, useState } from 'react';
import { ChartWarmup } from './charts/ChartWarmup';
import { RunCharts } from './charts/Charts';
import { BackendPanel } from './components/BackendPanel';
import { ErrorBanner } from './components/ErrorBanner';
import { FilesPanel } from './components/FilesPanel';
import { ProgressBar } from './components/ProgressBar';
import { LIVE_STATES, RunControls } from './components/RunControls';
import { Summary } from './components/Summary';
import { ComparisonView } from './compare/ComparisonView';
import type { GridAxis } from './compare/grid';
import { GridBuilder } from './compare/GridBuilder';
import { TryIt } from './components/TryIt';
import { TokenizingProgress } from './text/TokenizingProgress';
import { ConfigPanel } from './config/ConfigPanel';
import { change, draftFrom, validate, type Draft } from './config/draft';
import { useLab, useLabState } from './lab/context';

interface Props {
  initialDraft: Draft;
  /** A grid's axes from a shared link. */
  initialAxes?: GridAxis[];
}

/** The lab page: the config on the left, the run and its charts on the right. */
export function App({ initialDraft, initialAxes }: Props) {
  const lab = useLab();
  const [draft, setDraft] = useState(initialDraft);
  const validation = useMemo(() => validate(draft), [draft]);
  const state = useLabState((s) => s.run?.state);
  const onChange = useCallback((path: string, value: string | boolean) => setDraft((d) => change(d, path, value)), []);

  // The memory prediction follows the config as it is edited (once typing pauses).
  useEffect(() => {
    if (!validation.run) return lab.clearPrediction();
    const id = setTimeout(() => lab.predict(validation.raw), 250);
    return () => clearTimeout(id);
  }, [lab, validation]);

  // An imported run brings its own config: the panel shows it.
  const importedConfig = useLabState((s) => (s.run?.imported ? s.run.config : undefined));
  useEffect(() => {
    if (importedConfig) setDraft(draftFrom(importedConfig));
  }, [importedConfig]);

  const locked = state !== undefined && (LIVE_STATES.includes(state) || state === 'paused');
  return (
    <div className="app">
      <header className="top">
        <h1>Transformer training lab</h1>
        <p className="tagline">Train a small Transformer in your browser, off the main thread, and watch it learn.</p>
      </header>
      <div className="layout">
        <aside className="sidebar">
          <ConfigPanel draft={draft} validation={validation} locked={locked} onChange={onChange} onReplace={setDraft} />
        </aside>
        <main className="main">
          <section className="card run" aria-label="Run">
            <RunControls validation={validation} />
            <ProgressBar />
            <TokenizingProgress />
          </section>
          <ErrorBanner />
          <Summary />
          <RunCharts />
          <TryIt />
          <GridBuilder base={validation.run ? validation.raw : undefined} initialAxes={initialAxes} />
          <ComparisonView />
          <div className="panels">
            <BackendPanel />
            <FilesPanel validation={validation} onConfigFile={(c) => setDraft(draftFrom(c))} />
          </div>
        </main>
      </div>
      <ChartWarmup />
    </div>
  );
}
