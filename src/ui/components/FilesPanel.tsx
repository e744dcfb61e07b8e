import { useRef } from 'react';
import type { Validation } from '../config/draft';
import { useLab, useLabState } from '../lab/context';
import { Notice } from './Notice';
import { LIVE_STATES } from '../lab/runActions';

interface Props {
  validation: Validation;
  onConfigFile(config: unknown): void;
}

/** Weights, metrics and config out; weights (to evaluate or continue) and configs in. */
export function FilesPanel({ validation, onConfigFile }: Props) {
  const lab = useLab();
  // Only what the buttons need: a training run's batches do not redraw the panel.
  const hasRun = useLabState((s) => s.run !== undefined);
  const state = useLabState((s) => s.run?.state);
  const canExport = useLabState((s) => s.run !== undefined && (s.run.live || s.run.lastGoodStep !== undefined));
  const hasMetrics = useLabState((s) => (s.run?.metrics.length ?? 0) > 0);
  const runConfig = useLabState((s) => s.run?.config);
  const weightsInput = useRef<HTMLInputElement>(null);
  const configInput = useRef<HTMLInputElement>(null);
  const live = state !== undefined && LIVE_STATES.includes(state);
  const readFile = async (input: HTMLInputElement | null) => {
    const file = input?.files?.[0];
    if (input) input.value = '';
    return file ? file.text() : undefined;
  };
  return (
    <section className="card files" id="files" tabIndex={-1} aria-labelledby="files-title">
      <h2 id="files-title">Files</h2>
      <div className="buttons">
        <button type="button" disabled={!canExport} onClick={() => lab.exportWeights()}>Export weights</button>
        <button type="button" disabled={!hasMetrics} onClick={() => lab.exportMetrics()}>Export metrics CSV</button>
        <button type="button" disabled={!hasRun && !validation.run} onClick={() => lab.exportConfig(runConfig ?? validation.run)}>Export config</button>
      </div>
      <div className="buttons">
        <button type="button" disabled={live} onClick={() => weightsInput.current?.click()}>Import weights</button>
        <button type="button" disabled={live} onClick={() => configInput.current?.click()}>Load config</button>
      </div>
      <p className="note">Imported weights are evaluated at once; Resume continues their training (lab files carry their optimizer state and data position).</p>
      <Notice />
      <input
        ref={weightsInput} className="visually-hidden" type="file" accept=".json,application/json" tabIndex={-1} aria-label="Weights file"
        data-testid="weights-file"
        onChange={async (e) => {
          const text = await readFile(e.currentTarget);
          if (text !== undefined) lab.importWeights(text, validation.raw);
        }}
      />
      <input
        ref={configInput} className="visually-hidden" type="file" accept=".json,application/json" tabIndex={-1} aria-label="Config file"
        data-testid="config-file"
        onChange={async (e) => {
          const text = await readFile(e.currentTarget);
          if (text === undefined) return;
          try {
            onConfigFile(JSON.parse(text));
          } catch (err) {
            lab.store.update((s) => ({ ...s, error: { runId: null, kind: 'config', message: `the config file is not valid JSON: ${(err as Error).message}`, suggestion: 'Choose a run config JSON file (like configs/reverse.json).', fatal: false } }));
          }
        }}
      />
    </section>
  );
}
