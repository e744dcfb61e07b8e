import { memo } from 'react';
import { precisionPolicy, type Checkpointing, type Precision, type PrecisionSettings } from '../../engine/precision/policy';
import { isForecastRun } from '../../engine/runConfig';
import { TASK_INFO, TASK_NAMES, taskVocabulary, type TaskName } from '../../tasks/registry';
import { MemoryPrediction } from '../components/MemoryPrediction';
import { TextSourcePicker } from '../text/TextSourcePicker';
import { ArchitectureField } from './ArchitectureField';
import type { Draft, Validation } from './draft';
import { Field } from './Field';
import { LOSS_SCALER_FIELDS, MEMORY_FIELDS, MODEL_FIELDS, OPTIMIZER_FIELDS, OPTIMIZERS, SCHEDULE_FIELDS, SCHEDULES, taskFields, TEXT_SOURCE_FIELDS, TRAIN_FIELDS, type FieldSpec } from './fields';
import { PresetPicker } from './PresetPicker';
import { FORECAST, FORECAST_MODEL_FIELDS, forecastTaskFields } from '../forecast/fields';
import { SeriesSource } from '../forecast/SeriesSource';
import { Section } from './Section';

interface Props {
  draft: Draft;
  validation: Validation;
  /** While a run is live or paused the panel shows its config, read-only. */
  locked: boolean;
  onChange(path: string, value: string | boolean): void;
  onReplace(draft: Draft): void;
}

const TASK: FieldSpec = { path: 'task.name', label: 'Task', kind: 'select', options: [...TASK_NAMES, FORECAST] };
const OPTIMIZER: FieldSpec = { path: 'train.optimizer.name', label: 'Optimizer', kind: 'select', options: OPTIMIZERS };
const SCHEDULE: FieldSpec = { path: 'train.schedule.name', label: 'Schedule', kind: 'select', options: SCHEDULES };

/** The run config, drawn from the engine's declarations, checked by the engine as you type. */
export const ConfigPanel = memo(function ConfigPanel({ draft, validation, locked, onChange, onReplace }: Props) {
  const task = draft['task.name'] as TaskName;
  const forecast = draft['task.name'] === FORECAST;
  const run = validation.run;
  const choose = (spec: FieldSpec) => (
    <Field spec={spec} value={draft[spec.path]} errors={validation.byField.get(spec.path)} onChange={onChange} />
  );
  const policy = precisionPolicy(precisionSettings(draft));
  const memoryFields = MEMORY_FIELDS
    .filter((f) => f.path !== 'train.checkpointingEvery' || draft['train.checkpointing'] === 'every n layers')
    .map((f) => (f.path === 'train.checkpointing' && policy.recomputeImplied ? withRecomputeNote(f, draft) : f));
  const scalerFields = policy.lossScaling ? LOSS_SCALER_FIELDS : LOSS_SCALER_FIELDS.slice(0, 1);
  const common = { draft, validation, onChange };
  return (
    <form className="config" aria-label="Run configuration" onSubmit={(e) => e.preventDefault()} noValidate>
      <div className="config-head">
        <h2>Configuration</h2>
        <span className={run ? 'badge ok' : 'badge bad'} role="status">{run ? 'valid' : `${countIssues(validation)} to fix`}</span>
      </div>
      {/* A disabled fieldset disables every field natively: locking re-renders no field. */}
      <fieldset className="config-fields" disabled={locked}>
      <PresetPicker onPick={onReplace} />
      {validation.general.length > 0 && (
        <ul className="general-errors" aria-label="Problems without a field">
          {validation.general.map((i) => <li key={`${i.path}:${i.message}`}>{i.path ? <code>{i.path}</code> : null} {i.message}</li>)}
        </ul>
      )}
      {forecast ? (
        <Section title="Task" fields={forecastTaskFields(String(draft['task.source']))} {...common}>
          {choose(TASK)}
          <p className="note">Forecast the next rows of a multivariate series from the rows before them; MSE and MAE on the standardised scale, next to two baselines.</p>
          <SeriesSource draft={draft} onChange={onChange} />
        </Section>
      ) : (
        <Section title="Task" fields={TASK_NAMES.includes(task) ? drawnTaskFields(task, draft) : []} {...common}>
          {choose(TASK)}
          {TASK_NAMES.includes(task) && (
            <p className="note">{TASK_INFO[task].description}{run && !isForecastRun(run) ? ` Vocabulary: ${taskVocabulary(run.task).size} tokens.` : ''}</p>
          )}
          {task === 'text' && <TextSourcePicker draft={draft} validation={validation} onChange={onChange} />}
        </Section>
      )}
      {forecast ? (
        <Section title="Model (inverted Transformer)" fields={FORECAST_MODEL_FIELDS} {...common}>
          <p className="note">Each variate's lookback window is one token; attention runs across variates.{run && isForecastRun(run) ? ` ${run.model.nVariates} variates: ${run.task.columns.join(', ')}.` : ''}</p>
        </Section>
      ) : (
        <Section title="Model" fields={MODEL_FIELDS} {...common}>
          <ArchitectureField draft={draft} onChange={onChange} />
        </Section>
      )}
      <Section title="Training" fields={TRAIN_FIELDS} {...common} />
      <Section title="Optimizer" fields={OPTIMIZER_FIELDS.get(String(draft['train.optimizer.name'])) ?? []} {...common}>
        {choose(OPTIMIZER)}
      </Section>
      <Section title="Learning-rate schedule" fields={SCHEDULE_FIELDS.get(String(draft['train.schedule.name'])) ?? []} {...common}>
        {choose(SCHEDULE)}
      </Section>
      <Section title="Memory" fields={[...memoryFields, ...scalerFields]} {...common} />
      </fieldset>
      <MemoryPrediction />
    </form>
  );
});

/** A task's fields drawn as plain fields: a text task's source has its own picker, and vocabSize is bpe's alone. */
function drawnTaskFields(task: TaskName, draft: Draft): FieldSpec[] {
  const source = new Set(TEXT_SOURCE_FIELDS.map((f) => f.path));
  return taskFields(task).filter((f) => !source.has(f.path) && (f.path !== 'task.vocabSize' || draft['task.tokenizer'] === 'bpe'));
}

/**
 * The precision settings the draft asks for, read from its fields rather than the parsed run, so
 * that the panel follows them while another field is invalid (whose messages the fields show).
 */
function precisionSettings(draft: Draft): PrecisionSettings {
  const checkpointing = draft['train.checkpointing'];
  const scaling = draft['train.lossScaler.enabled'];
  return {
    precision: draft['train.precision'] as Precision,
    checkpointing: checkpointing === 'every n layers' ? Number(draft['train.checkpointingEvery']) : (checkpointing as Checkpointing),
    offload: draft['train.offload'] === 'activations' ? 'activations' : 'none',
    lossScaler: { enabled: scaling === 'on' ? true : scaling === 'off' ? false : undefined },
  };
}

/**
 * Under fp16 / bf16, or with offloading, the engine recomputes every layer even when
 * checkpointing says "none" (precision/policy.ts decides it): the field says so rather than look
 * as if nothing is recomputed.
 */
function withRecomputeNote(spec: FieldSpec, draft: Draft): FieldSpec {
  const precision = String(draft['train.precision']);
  if (precision === 'fp32') {
    return {
      ...spec,
      optionLabels: { none: 'none (per layer anyway when offloading)' },
      help: 'offloading moves the boundaries of recomputed segments to host memory, so “none” trains as “layers”',
    };
  }
  return {
    ...spec,
    optionLabels: { none: 'none (per layer anyway under ' + precision + ')' },
    help: `${precision} keeps activations at half size by recomputing each layer (but each stack's last) in the backward pass, so “none” trains as “layers”`,
  };
}

function countIssues(v: Validation): string {
  const n = v.general.length + [...v.byField.values()].reduce((k, m) => k + m.length, 0);
  return n === 1 ? '1 problem' : `${n} problems`;
}
