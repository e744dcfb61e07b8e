/**
 * Times one small step of the current config on each backend worth trying, each in a worker of
 * its own (src/worker/probe.ts), and ends each worker at its phase's deadline: a software GPU
 * that would take seconds to warm up is cut off after one, and ending its worker ends its work
 * on the device. The page then trains on the fastest (src/worker/choose.ts decides).
 */
import { filesFor } from '../forecast/files';
import { adapterName, nextProbe, probeLimit, type ProbeOutcome } from '../../worker/choose';
import type { BackendName, Command, WorkerEvent } from '../../worker/protocol';

/** A probe worker: the training worker's script, asked only to time one backend. */
export interface ProbePort {
  post(cmd: Command): void;
  listen(listener: (e: WorkerEvent) => void): void;
  terminate(): void;
}

export interface ProbeOptions {
  spawn(): ProbePort;
  /** Called as each probe starts and ends (the header shows it). */
  onProgress?(probing: BackendName | undefined, done: readonly ProbeOutcome[]): void;
  setTimer?(f: () => void, ms: number): unknown;
  clearTimer?(t: unknown): void;
}

/** One backend's probe, ended at the first deadline it misses. */
function probeOne(port: ProbePort, backend: BackendName, config: unknown, bestMs: number | undefined, o: Required<Pick<ProbeOptions, 'setTimer' | 'clearTimer'>>): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let timer: unknown;
    let software: boolean | undefined;
    let adapter: string | undefined;
    let over = false;
    const about = () => ({ ...(software !== undefined ? { software } : {}), ...(adapter ? { adapter } : {}) });
    const finish = (outcome: ProbeOutcome) => {
      if (over) return;
      over = true;
      o.clearTimer(timer);
      port.terminate();
      resolve(outcome);
    };
    const phase = (p: 'setup' | 'warm-up' | 'step') => {
      o.clearTimer(timer);
      const limitMs = probeLimit(p, { ...(software !== undefined ? { software } : {}), ...(bestMs !== undefined ? { bestMs } : {}) });
      timer = o.setTimer(() => finish({ backend, status: 'slow', phase: p, limitMs, ...about() }), limitMs);
    };
    port.listen((e) => {
      if (e.type === 'error' && e.runId === null) return finish({ backend, status: 'failed', reason: e.message, ...about() });
      if (e.type !== 'probed' || e.backend !== backend) return;
      switch (e.phase) {
        case 'ready':
          software = e.software;
          adapter = e.adapter ? adapterName(e.adapter) : undefined;
          return phase('warm-up');
        case 'warm':
          return phase('step');
        case 'timed':
          return finish({ backend, status: 'timed', ms: e.ms ?? Number.NaN, ...about() });
        case 'failed':
          return finish({ backend, status: 'failed', reason: e.reason ?? 'no reason given', ...about() });
      }
    });
    phase('setup');
    port.post({ type: 'probe', backend, config, files: filesFor(config) });
  });
}

/** Probes the backends one after another (nextProbe's plan) and returns every outcome. */
export async function timeBackends(config: unknown, opts: ProbeOptions): Promise<ProbeOutcome[]> {
  const timers = { setTimer: opts.setTimer ?? ((f, ms) => setTimeout(f, ms)), clearTimer: opts.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>)) };
  const done: ProbeOutcome[] = [];
  // The next worker loads its script while the current one is timed, when there surely is a next.
  let spare: ProbePort | undefined;
  for (let backend = nextProbe(done); backend; backend = nextProbe(done)) {
    const port = spare ?? opts.spawn();
    spare = undefined;
    opts.onProgress?.(backend, done);
    if (nextProbe([...done, { backend, status: 'timed', ms: 0 }])) spare = opts.spawn();
    const timed = done.filter((d) => d.status === 'timed').map((d) => d.ms);
    done.push(await probeOne(port, backend, config, timed.length ? Math.min(...timed) : undefined, timers));
  }
  spare?.terminate();
  opts.onProgress?.(undefined, done);
  return done;
}
