import type { ErrorKind } from '../../worker/protocol';
import { useLab, useLabState } from '../lab/context';

const TITLES: Record<ErrorKind, string> = {
  config: 'The configuration or file was refused',
  oom: 'Out of memory',
  'device-lost': 'The GPU device was lost',
  diverged: 'Training diverged',
  other: 'Something went wrong',
};

/** The latest error, what to do about it, and the way to the last good weights. */
export function ErrorBanner() {
  const lab = useLab();
  const error = useLabState((s) => s.error);
  const backend = useLabState((s) => s.backend.info?.backend);
  if (!error) return null;
  // The device failed under the run, not the run itself: it goes on from its last checkpoint.
  const recoverable = error.fatal && backend !== undefined && backend !== 'wasm' && (error.kind === 'device-lost' || error.kind === 'oom');
  const runId = error.runId;
  return (
    <div className={`banner banner-error kind-${error.kind}`} role="alert">
      <div className="banner-body">
        <strong>{TITLES[error.kind]}</strong>
        <p className="banner-message">{error.message}</p>
        <p className="banner-suggestion">{error.suggestion}</p>
      </div>
      <div className="banner-actions">
        {recoverable && runId !== null && (
          <>
            <button type="button" onClick={() => lab.recover(runId, 'wasm')} title="Set up the wasm backend (the CPU) and go on from the last checkpoint">Continue on another backend</button>
            {backend === 'webgpu' && (
              <button type="button" onClick={() => lab.recover(runId, 'webgpu')} title="Ask for a new GPU device and go on from the last checkpoint">Retry on WebGPU</button>
            )}
          </>
        )}
        {error.lastGoodStep !== undefined && (
          <button type="button" onClick={() => lab.exportWeights()}>Export last good weights (step {error.lastGoodStep})</button>
        )}
        <button type="button" className="quiet" onClick={() => lab.store.update((s) => ({ ...s, error: undefined }))}>Dismiss</button>
      </div>
    </div>
  );
}
