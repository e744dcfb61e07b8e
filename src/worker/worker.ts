/**
 * The training worker: the only file that touches the worker global. It wires the message port
 * to a Session (session.ts), which drives the engine, and hands it the browser's backend chain.
 */
import { initBackendChain } from './backends';
import { isCommand, type WorkerEvent } from './protocol';
import { Session } from './session';

interface WorkerScope {
  postMessage(message: WorkerEvent): void;
  onmessage: ((e: MessageEvent<unknown>) => void) | null;
}

const scope = self as unknown as WorkerScope;

// A message to ourselves is a task: queued commands from the page run before the next step.
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });

const session = new Session((event) => scope.postMessage(event), { initBackend: initBackendChain, yieldToEventLoop });

scope.onmessage = (e) => {
  if (isCommand(e.data)) void session.handle(e.data);
};
