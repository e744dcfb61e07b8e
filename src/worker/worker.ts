/**
 * The training worker: the only file that touches the worker global. It wires the message port
 * to a Session (session.ts), which drives the engine, and hands it the browser's backend chain
 * and the lab's IndexedDB (storage.ts), where kept runs' metrics and checkpoints go. The same
 * script serves the page's backend probes (probe.ts): a worker that gets `probe` does only that.
 */
import { initBackendChain, initOne } from './backends';
import { probeBackend } from './probe';
import { isCommand, type WorkerEvent } from './protocol';
import { Session } from './session';
import { RunDb } from './storage';

interface WorkerScope {
  postMessage(message: WorkerEvent): void;
  onmessage: ((e: MessageEvent<unknown>) => void) | null;
}

const scope = self as unknown as WorkerScope;
const post = (event: WorkerEvent) => scope.postMessage(event);

// A message to ourselves is a task: queued commands from the page run before the next step.
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });

/**
 * The training session, made on the first command that needs one (a probe worker never opens the
 * database). Without IndexedDB (blocked, private mode) runs train all the same, and the page is
 * told they are not kept.
 */
let session: Promise<Session> | undefined;
const sessionOf = () =>
  (session ??= RunDb.open()
    .catch((e: unknown) => {
      post({ type: 'warning', runId: null, message: `Runs are not kept across reloads: the training worker cannot open this browser's storage (${e instanceof Error ? e.message : String(e)}).` });
      return undefined;
    })
    .then((db) => new Session(post, { initBackend: initBackendChain, yieldToEventLoop, ...(db ? { store: db } : {}) })));

scope.onmessage = (e) => {
  const cmd = e.data;
  if (!isCommand(cmd)) return;
  if (cmd.type === 'probe') void probeBackend(cmd.backend, cmd.config, (b) => initOne(b, () => {}), post, cmd.files);
  else void sessionOf().then((s) => s.handle(cmd));
};
