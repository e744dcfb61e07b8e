/**
 * Turns a start or an import command into a validated run config and the trainer's options.
 * Everything here only reads and checks (and loads a shipped corpus a text task names): a bad
 * file or config throws the engine's ConfigError before the current run is touched.
 */
import type { LabModelConfig } from '../engine/modelKind';
import { parseLabRunConfig, type LabRunConfig } from '../engine/runConfig';
import type { SeriesSource } from '../tasks/forecast/task';
import type { TrainerOptions } from '../engine/train/trainer';
import { ConfigError, type FieldIssue } from '../engine/validation';
import { parseWeightsText, type ParsedWeights } from '../engine/weights/format';
import { parseTokenizer } from '../tasks/text/tokenizer';
import { loadTaskCorpus } from './text';

export interface PreparedRun {
  run: LabRunConfig;
  options: TrainerOptions;
  /** What the user should know about how the file was used. */
  notes: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The model of a weights file must be the run's: another one would silently train something else. */
export function modelDifferences(runModel: LabModelConfig, fileModel: LabModelConfig, prefix = 'config'): FieldIssue[] {
  const run = runModel as Record<string, unknown>;
  const file = fileModel as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(run), ...Object.keys(file)])];
  return keys
    .filter((k) => JSON.stringify(run[k]) !== JSON.stringify(file[k]))
    .map((k) => ({ path: `${prefix}.${k}`, message: `the file's ${JSON.stringify(file[k])} differs from the run's model.${k} ${JSON.stringify(run[k])}` }));
}

/** The step a lab-written file stopped at (its `training.step`). */
function savedStep(extra: Record<string, unknown>): number | undefined {
  const training = extra.training;
  const step = isRecord(training) ? training.step : undefined;
  return typeof step === 'number' && Number.isInteger(step) && step >= 0 ? step : undefined;
}

/**
 * Options that continue from a file: weights, the optimizer/scaler state when it fits the run,
 * and a text run's tokenizer (which the file must carry, of the kind the task asks for).
 */
function fromFile(run: LabRunConfig, parsed: ParsedWeights, notes: string[]): TrainerOptions {
  const options: TrainerOptions = { init: parsed.tensors };
  if (run.task.name === 'text') {
    const tokenizer = parsed.tokenizer ?? parseTokenizer(undefined);
    if (tokenizer.kind !== run.task.tokenizer) {
      throw new ConfigError([{ path: 'tokenizer.type', message: `the file's ${JSON.stringify(tokenizer.kind)} tokenizer differs from the run's task.tokenizer ${JSON.stringify(run.task.tokenizer)}` }]);
    }
    options.tokenizer = tokenizer;
  }
  const state = parsed.extra.optimizerState;
  const name = isRecord(state) ? state.name : undefined;
  if (state !== undefined && name === run.train.optimizer.name) {
    options.optimizerState = state;
    options.startStep = savedStep(parsed.extra);
    if (parsed.extra.lossScalerState !== undefined) options.lossScalerState = parsed.extra.lossScalerState;
  } else if (state !== undefined) {
    notes.push(`the file's ${String(name)} optimizer state was not loaded: this run uses ${run.train.optimizer.name}, whose state starts fresh`);
  }
  return options;
}

/** `start`: the config, and optionally weights to start from (same model required). */
export async function prepareStart(config: unknown, init?: string, series?: SeriesSource): Promise<PreparedRun> {
  await loadTaskCorpus(config);
  const run = parseLabRunConfig(config, series);
  if (init === undefined) return { run, options: {}, notes: [] };
  const parsed = parseWeightsText(init);
  const issues = modelDifferences(run.model, parsed.config);
  if (issues.length) throw new ConfigError(issues);
  const notes: string[] = [];
  return { run, options: fromFile(run, parsed, notes), notes };
}

/**
 * `importWeights`: a file written by the lab or the CLI carries its run config (`training.run`)
 * and continues exactly; any other weights file (e.g. torch_reference.py's) runs with the page's
 * task and training settings around the file's model.
 */
export async function prepareImport(text: string, pageConfig: unknown, series?: SeriesSource): Promise<PreparedRun> {
  const parsed = parseWeightsText(text);
  const notes: string[] = [];
  const training = parsed.extra.training;
  const fileRun = isRecord(training) ? training.run : undefined;
  let run: LabRunConfig;
  if (fileRun !== undefined) {
    await loadTaskCorpus(fileRun);
    try {
      run = parseLabRunConfig(fileRun, series);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(e.issues.map((i) => ({ path: `training.run${i.path ? `.${i.path}` : ''}`, message: i.message })));
    }
    notes.push('the file carries its run config: task, training settings and data order continue from it');
  } else {
    const page = isRecord(pageConfig) ? pageConfig : {};
    await loadTaskCorpus(page);
    run = parseLabRunConfig({ ...page, model: parsed.config }, series);
    notes.push("the file has no run config: the page's task and training settings are used with the file's model");
  }
  const issues = modelDifferences(run.model, parsed.config);
  if (issues.length) throw new ConfigError(issues);
  return { run, options: fromFile(run, parsed, notes), notes };
}
