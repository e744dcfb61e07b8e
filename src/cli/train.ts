import { appendFileSync, writeFileSync } from 'node:fs';
import { parseSeriesBatch } from '../engine/forecaster/batch';
import { isForecaster, type LabModelConfig } from '../engine/modelKind';
import { parseLabRunConfig, type LabRunConfig } from '../engine/runConfig';
import { Trainer } from '../engine/train/trainer';
import type { TrainerEvent } from '../engine/train/events';
import { ConfigError } from '../engine/validation';
import { parseBatch } from '../engine/weights/batch';
import { parseWeights } from '../engine/weights/format';
import { stringifyWeights } from '../engine/weights/stringify';
import { requireText } from '../tasks/text/source';
import type { Tokenizer } from '../tasks/text/tokenizer';
import { readJson } from './io';
import { evalLines, stepLine } from './progress';
import { fileSeries } from './series';
import { loadTaskText, tokenizeWithProgress } from './text';

export interface TrainFlags {
  config: string;
  init?: string;
  batch?: string;
  steps?: number;
  metrics?: string;
  out?: string;
}

/** The model config of a weights file must be the run's: a mismatch would silently train another model. */
export function checkSameModel(run: LabRunConfig, fromFile: LabModelConfig, flag = '--init'): void {
  const model = run.model as Record<string, unknown>;
  const file = fromFile as Record<string, unknown>;
  const issues = Object.keys({ ...model, ...file })
    .filter((k) => JSON.stringify(model[k]) !== JSON.stringify(file[k]))
    .map((k) => ({
      path: `${flag} config.${k}`,
      message: `${JSON.stringify(file[k])} differs from the run config's model.${k} ${JSON.stringify(model[k])}${k === 'nVariates' && 'columns' in run.task ? ` (the columns the task reads: ${run.task.columns.map((c) => JSON.stringify(c)).join(', ')})` : ''}`,
    }));
  if (issues.length) throw new ConfigError(issues);
}

/** The step a lab-written file stopped at; other files start from their optimizer state. */
export function savedStep(training: unknown): number | undefined {
  const step = (training as { step?: unknown } | undefined)?.step;
  return typeof step === 'number' && Number.isInteger(step) && step >= 0 ? step : undefined;
}

/** A text run continues with the tokenizer its file carries, which must be of the kind the task asks for. */
export function checkSameTokenizer(run: LabRunConfig, tokenizer: Tokenizer | undefined, flag = '--init'): void {
  if (run.task.name !== 'text' || !tokenizer || tokenizer.kind === run.task.tokenizer) return;
  throw new ConfigError([{ path: `${flag} tokenizer.type`, message: `the file's ${JSON.stringify(tokenizer.kind)} tokenizer differs from the run's task.tokenizer ${JSON.stringify(run.task.tokenizer)}` }]);
}

export async function train(flags: TrainFlags, print: (line: string) => void, progress: (line: string) => void = () => {}): Promise<void> {
  const raw = readJson(flags.config, '--config') as Record<string, unknown>;
  loadTaskText(raw);
  const run = parseLabRunConfig(raw, fileSeries(), { givenBatch: flags.batch !== undefined });
  if (flags.steps !== undefined) run.train.steps = flags.steps;
  const init = flags.init ? parseWeights(readJson(flags.init, '--init')) : undefined;
  if (init) checkSameModel(run, init.config);
  checkSameTokenizer(run, init?.tokenizer);
  const rawBatch = flags.batch ? readJson(flags.batch, '--batch') : undefined;
  const cfg = run.model;
  const fixedBatch = rawBatch === undefined ? undefined : isForecaster(cfg) ? parseSeriesBatch(rawBatch, cfg) : parseBatch(rawBatch, cfg);
  const task = run.task;
  const text = task.name === 'text' && !fixedBatch ? tokenizeWithProgress(task, requireText(task), progress, init?.tokenizer) : undefined;
  const trainer = Trainer.create(run, {
    text,
    tokenizer: init?.tokenizer,
    init: init?.tensors,
    optimizerState: init?.extra.optimizerState,
    lossScalerState: init?.extra.lossScalerState,
    startStep: savedStep(init?.extra.training),
    fixedBatch,
    series: fileSeries(),
  });
  if (flags.metrics) writeFileSync(flags.metrics, '');
  const started = performance.now();
  const every = Math.max(1, Math.round(run.train.steps / 50));
  trainer.subscribe((e: TrainerEvent) => {
    if (flags.metrics) appendFileSync(flags.metrics, JSON.stringify(e.metrics) + '\n');
    if (e.type === 'eval') for (const line of evalLines(e.metrics, run.task.name)) print(line);
    else if ((e.metrics.step + 1) % every === 0 || e.metrics.step === 0 || e.metrics.step + 1 === run.train.steps) {
      print(stepLine(e.metrics, run.train.steps, performance.now() - started));
    }
  });
  try {
    await trainer.train();
    if (flags.out) {
      writeFileSync(flags.out, stringifyWeights(await trainer.weightsDocument('base64')));
      print(`weights written to ${flags.out}`);
    }
  } finally {
    trainer.dispose();
  }
}
