import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isBackendChoice } from '../worker/protocol';
import { App } from './App';
import { readShareFragment, type Shared } from './compare/share';
import { setDrawGate } from './charts/drawQueue';
import { draftFrom } from './config/draft';
import { DEFAULT_PRESET, PRESETS } from './config/presets';
import { LabContext } from './lab/context';
import { LabController } from './lab/controller';
import { LabStore } from './lab/store';
import { LabDb } from './storage/db';
import { ConfigError } from '../engine/validation';
import { browserDownload, createProbePort, createWorkerPort } from './lab/workerPort';
import './styles.css';

// URL flags: ?backend=wasm starts the backend chain there; ?preset=tiny picks a starting config.
const params = new URLSearchParams(window.location.search);
const requested = params.get('backend') ?? 'auto';
const backend = isBackendChoice(requested) ? requested : 'auto';
const preset = PRESETS.find((p) => p.id === params.get('preset')) ?? DEFAULT_PRESET;

// A shared link (#config=… or #grid=…) sets the starting config, and the grid's settings.
let shared: Shared | null = null;
let sharedError: string | undefined;
try {
  shared = readShareFragment(window.location.hash);
} catch (e) {
  sharedError = e instanceof ConfigError ? e.message : String(e);
}
// The link has done its work (or was refused): the address goes back to the page's own, so a
// reload opens what the user has now rather than the link again.
if (shared || sharedError) history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}`);
const startConfig = shared?.kind === 'config' ? shared.raw : shared?.kind === 'grid' ? shared.grid.base : preset.config;

const store = new LabStore(backend);
if (sharedError) {
  store.update((s) => ({ ...s, error: { runId: null, kind: 'config', message: `the shared link was not opened: ${sharedError}`, suggestion: 'Ask for the link again; the page opened on its default config.', fatal: false } }));
}
const lab = new LabController(createWorkerPort(), store, browserDownload, { openDb: (onBlocked) => LabDb.open(undefined, onBlocked), spawnProbe: createProbePort });
setDrawGate(lab.drawGate);
void lab.init(backend, startConfig);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <LabContext value={lab}>
        <App initialDraft={draftFrom(startConfig)} initialAxes={shared?.kind === 'grid' ? shared.grid.axes : undefined} followRestored={!shared} />
      </LabContext>
    </StrictMode>,
  );
}
