import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ChartSettingsProvider } from './charts/settings';
import { RunCharts } from './charts/Charts';
import { BackendPanel } from './components/BackendPanel';
import { ErrorBanner } from './components/ErrorBanner';
import { FilesPanel } from './components/FilesPanel';
import { ResumeBanner } from './components/ResumeBanner';
import { RunBar } from './components/RunBar';
import { Summary } from './components/Summary';
import { ComparisonView } from './compare/ComparisonView';
import type { GridAxis } from './compare/grid';
import { GridBuilder } from './compare/GridBuilder';
import { TryIt } from './components/TryIt';
import { ConfigPanel } from './config/ConfigPanel';
import { change, draftFrom, validate, type Draft } from './config/draft';
import { useLab, useLabState } from './lab/context';
import { LIVE_STATES } from './lab/runActions';
import { NARROW, useMedia } from './lab/useMedia';

interface Props {
  initialDraft: Draft;
  /** A grid's axes from a shared link. */
  initialAxes?: GridAxis[];
  /** The panel takes the config of the run restored after a reload (not when a shared link set it). */
  followRestored?: boolean;
}

const SKIP_LINKS = [
  ['#run-bar', 'Skip to the run controls'],
  ['#config', 'Skip to the configuration'],
  ['#charts', 'Skip to the charts'],
  ['#files', 'Skip to files (export, import)'],
] as const;

/**
 * The lab page: a sticky run bar on top (the main action, where the run stands, the backend),
 * the config on the left (collapsed above the run on narrow screens), the run's charts and the
 * comparisons on the right.
 */
export function App({ initialDraft, initialAxes, followRestored = true }: Props) {
  const lab = useLab();
  const [draft, setDraft] = useState(initialDraft);
  const texts = useLabState((s) => s.texts);
  // The check reads the texts' facts, which the worker may send after the draft that names one
  // (a kept text is sent to it again after a reload).
  const validation = useMemo(() => validate(draft), [draft, texts]);
  const state = useLabState((s) => s.run?.state);
  const restored = useLabState((s) => s.run?.restored !== undefined);
  // Edits by the user, which a run restored after a reload must not overwrite.
  const edited = useRef(false);
  const onChange = useCallback((path: string, value: string | boolean) => {
    edited.current = true;
    setDraft((d) => change(d, path, value));
  }, []);
  const onReplace = useCallback((d: Draft) => {
    edited.current = true;
    setDraft(d);
  }, []);
  const narrow = useMedia(NARROW);

  // The memory prediction follows the config as it is edited (once typing pauses).
  useEffect(() => {
    if (!validation.run) return lab.clearPrediction();
    const id = setTimeout(() => lab.predict(validation.raw), 250);
    return () => clearTimeout(id);
  }, [lab, validation]);

  // An imported run brings its own config, and so does a run restored after a reload (unless the
  // user has begun editing meanwhile): the panel shows it.
  const importedConfig = useLabState((s) => (s.run?.imported ? s.run.config : undefined));
  const restoredConfig = useLabState((s) => (followRestored && s.run?.restored ? s.run.config : undefined));
  useEffect(() => {
    if (importedConfig) setDraft(draftFrom(importedConfig));
  }, [importedConfig]);
  useEffect(() => {
    if (restoredConfig && !edited.current) setDraft(draftFrom(restoredConfig));
  }, [restoredConfig]);

  const locked = state !== undefined && !restored && (LIVE_STATES.includes(state) || state === 'paused');
  const config = <ConfigPanel draft={draft} validation={validation} locked={locked} onChange={onChange} onReplace={onReplace} />;
  return (
    <ChartSettingsProvider>
      <nav className="skip-links" aria-label="Skip links">
        {SKIP_LINKS.map(([href, label]) => (
          <a key={href} href={href} onClick={(e) => {
            const target = document.querySelector<HTMLElement>(href);
            if (!target) return;
            e.preventDefault();
            target.focus();
            target.scrollIntoView({ block: 'start' });
          }}>{label}</a>
        ))}
      </nav>
      <div className="app">
        <header className="top">
          <h1>Transformer training lab</h1>
          <p className="tagline">Train a small Transformer in your browser, off the main thread, and watch it learn.</p>
        </header>
        <RunBar validation={validation} />
        <div className="banners">
          <ResumeBanner />
          <ErrorBanner />
        </div>
        <div className="layout">
          <aside className="sidebar" id="config" tabIndex={-1} aria-label="Configuration">
            {narrow ? (
              <details className="config-collapse">
                <summary>Configuration <span className={validation.run ? 'badge ok' : 'badge bad'}>{validation.run ? 'valid' : 'to fix'}</span></summary>
                {config}
              </details>
            ) : config}
          </aside>
          <main className="main">
            <Summary />
            <RunCharts />
            <TryIt />
            <GridBuilder base={validation.run ? validation.raw : undefined} initialAxes={initialAxes} />
            <ComparisonView />
            <div className="panels">
              <FilesPanel validation={validation} onConfigFile={(c) => onReplace(draftFrom(c))} />
              <BackendPanel />
            </div>
          </main>
        </div>
      </div>
    </ChartSettingsProvider>
  );
}
