/** A Session on the cpu backend in Node, with every event it posts recorded. */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend';
import type { BackendFailure } from '../../src/worker/errors';
import { appendMetrics, emptyMetrics, type MetricsData } from '../../src/worker/metricsData';
import type { Command, EventOf, WorkerEvent } from '../../src/worker/protocol';
import type { RunStore } from '../../src/worker/recorder';
import { Session } from '../../src/worker/session';

export const TINY = {
  model: { dModel: 8, nHeads: 2, nEncoderLayers: 1, nDecoderLayers: 1, dFF: 16, maxLen: 8 },
  task: { name: 'reverse', minLength: 1, maxLength: 4, symbols: 4 },
  train: { batchSize: 8, steps: 6, seed: 0, optimizer: { name: 'adam', lr: 0.01 }, evalEvery: 3, validationSize: 16 },
};

export function tinyWith(train: Record<string, unknown>) {
  return { ...TINY, train: { ...TINY.train, ...train } };
}

export interface Recorder {
  session: Session;
  events: WorkerEvent[];
  send(cmd: Command): Promise<void>;
  /** Resolves with the first event (from `from` on) that matches; rejects after `ms`. */
  waitFor<T extends WorkerEvent['type']>(type: T, pred?: (e: EventOf<T>) => boolean, ms?: number): Promise<EventOf<T>>;
  of<T extends WorkerEvent['type']>(type: T, runId?: string): EventOf<T>[];
  /** Every metrics batch of a run so far, joined (what the page has to draw). */
  history(runId: string): MetricsData;
  /** Reports a backend failure as the browser's device-lost handler would. */
  failBackend(f: BackendFailure): void;
}

/** `store`: where kept runs go (none: nothing is stored, as in a worker without IndexedDB). */
export function record(store?: RunStore): Recorder {
  const events: WorkerEvent[] = [];
  const listeners = new Set<() => void>();
  let fail: ((f: BackendFailure) => void) | undefined;
  const session = new Session(
    (e) => {
      events.push(structuredClone(e)); // what postMessage would deliver
      for (const l of listeners) l();
    },
    {
      initBackend: async (_choice, onFail) => {
        fail = onFail;
        tf.enableProdMode();
        await useBackend('cpu');
        return { backend: 'cpu', attempts: [{ backend: 'cpu', ok: true }], isolated: false };
      },
      ...(store ? { store } : {}),
    },
  );
  const of = <T extends WorkerEvent['type']>(type: T, runId?: string) =>
    events.filter((e): e is EventOf<T> => e.type === type && (runId === undefined || e.runId === runId));
  const history = (runId: string) => {
    const m = emptyMetrics();
    for (const e of of('metrics', runId)) appendMetrics(m, e.data);
    return m;
  };
  return {
    session, events, of, history,
    send: (cmd) => session.handle(cmd),
    failBackend: (f) => fail?.(f),
    waitFor: (type, pred = () => true, ms = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = of(type).find(pred);
          if (hit) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${type} event within ${ms} ms; got ${events.map((e) => e.type).join(', ')}`));
        }, ms);
        listeners.add(check);
        check();
      }),
  };
}
