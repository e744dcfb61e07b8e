import type { WorkerEvent } from '../../worker/protocol';
import type { Download, WorkerPort } from './controller';

/** The training worker, as a port for the controller. */
export function createWorkerPort(): WorkerPort {
  const worker = new Worker(new URL('../../worker/worker.ts', import.meta.url), { type: 'module', name: 'training' });
  return {
    post: (cmd) => worker.postMessage(cmd),
    listen: (listener) => {
      worker.addEventListener('message', (e: MessageEvent<WorkerEvent>) => listener(e.data));
      // The worker itself failed (its script did not load, or threw outside any command).
      worker.addEventListener('error', (e: ErrorEvent) =>
        listener({ type: 'error', runId: null, kind: 'other', message: `the training worker failed: ${e.message || 'no message'}`, suggestion: 'Reload the page; the browser console has details.', fatal: true }),
      );
    },
  };
}

/** Saves text as a file through a temporary link. */
export const browserDownload: Download = (filename, text, mime) => {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};
