import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isBackendChoice } from '../worker/protocol';
import { App } from './App';
import { setDrawGate } from './charts/drawQueue';
import { draftFrom } from './config/draft';
import { DEFAULT_PRESET, PRESETS } from './config/presets';
import { LabContext } from './lab/context';
import { LabController } from './lab/controller';
import { LabStore } from './lab/store';
import { browserDownload, createWorkerPort } from './lab/workerPort';
import './styles.css';

// URL flags: ?backend=wasm starts the backend chain there; ?preset=tiny picks a starting config.
const params = new URLSearchParams(window.location.search);
const requested = params.get('backend') ?? 'auto';
const backend = isBackendChoice(requested) ? requested : 'auto';
const preset = PRESETS.find((p) => p.id === params.get('preset')) ?? DEFAULT_PRESET;

const store = new LabStore(backend);
const lab = new LabController(createWorkerPort(), store, browserDownload);
setDrawGate(lab.drawGate);
lab.init(backend);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <LabContext value={lab}>
        <App initialDraft={draftFrom(preset.config)} />
      </LabContext>
    </StrictMode>,
  );
}
