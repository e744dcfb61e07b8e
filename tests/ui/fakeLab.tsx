/** The lab page wired to a fake worker: tests read the commands it sent and play events back. */
import { render } from '@testing-library/react';
import { App } from '../../src/ui/App';
import { draftFrom } from '../../src/ui/config/draft';
import { LabContext } from '../../src/ui/lab/context';
import { LabController, type ControllerOptions } from '../../src/ui/lab/controller';
import { LabStore } from '../../src/ui/lab/store';
import type { EvalMetrics, StepMetrics } from '../../src/engine/train/events';
import { addStep, emptyMetrics } from '../../src/worker/metricsData';
import type { Command, WorkerEvent } from '../../src/worker/protocol';

export function renderLab(config: unknown, options?: ControllerOptions) {
  const sent: Command[] = [];
  let listener: (e: WorkerEvent) => void = () => {};
  const downloads: { filename: string; text: string }[] = [];
  const store = new LabStore('auto', { later: (flush) => queueMicrotask(flush), soon: (flush) => flush() });
  const lab = new LabController(
    { post: (cmd) => sent.push(cmd), listen: (l) => (listener = l) },
    store,
    (filename, text) => downloads.push({ filename, text: String(text) }),
    options,
  );
  const view = render(
    <LabContext value={lab}>
      <App initialDraft={draftFrom(config)} />
    </LabContext>,
  );
  return { ...view, sent, downloads, store, emit: (e: WorkerEvent) => listener(e) };
}

export const READY: WorkerEvent = { type: 'ready', runId: null, backend: 'webgpu', attempts: [{ backend: 'webgpu', ok: true }], isolated: true };

/** A metrics batch as the worker sends it: these steps and evaluations. */
export function metricsEvent(runId: string, part: { steps?: StepMetrics[]; evals?: EvalMetrics[] }): WorkerEvent {
  const data = emptyMetrics();
  for (const s of part.steps ?? []) addStep(data, s);
  data.evals.push(...(part.evals ?? []));
  return { type: 'metrics', runId, data };
}
