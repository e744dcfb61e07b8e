import type { WorkerEvent } from '../../worker/protocol';
import type { ProbePort } from './chooser';
import type { Download, WorkerPort } from './controller';

function spawn(name: string): Worker {
  return new Worker(new URL('../../worker/worker.ts', import.meta.url), { type: 'module', name });
}

function listenTo(worker: Worker, listener: (e: WorkerEvent) => void): void {
  worker.addEventListener('message', (e: MessageEvent<WorkerEvent>) => listener(e.data));
  // The worker itself failed (its script did not load, or threw outside any command).
  worker.addEventListener('error', (e: ErrorEvent) =>
    listener({ type: 'error', runId: null, kind: 'other', message: `the training worker failed: ${e.message || 'no message'}`, suggestion: 'Reload the page; the browser console has details.', fatal: true }),
  );
}

/** The training worker, as a port for the controller. */
export function createWorkerPort(): WorkerPort {
  const worker = spawn('training');
  return { post: (cmd) => worker.postMessage(cmd), listen: (listener) => listenTo(worker, listener) };
}

/** A short-lived worker that times one backend (the same script, asked only to probe). */
export function createProbePort(): ProbePort {
  const worker = spawn('backend probe');
  return { post: (cmd) => worker.postMessage(cmd), listen: (listener) => listenTo(worker, listener), terminate: () => worker.terminate() };
}

/** Saves text or a blob as a file through a temporary link. */
export const browserDownload: Download = (filename, content, mime) => {
  const url = URL.createObjectURL(typeof content === 'string' ? new Blob([content], { type: mime }) : content);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};
