import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transformerConfig } from '../engine/modelKind';
import { isForecastRun, parseLabRunConfig } from '../engine/runConfig';
import { ConfigError } from '../engine/validation';
import { parseWeights } from '../engine/weights/format';
import { parseTokenizer } from '../tasks/text/tokenizer';
import { requireText } from '../tasks/text/source';
import { readJson } from './io';
import { datasetNamed } from '../tasks/forecast/datasets';
import { datasetFolder, fileSeries } from './series';
import { loadTaskText } from './text';
import { checkSameModel, checkSameTokenizer, savedStep } from './train';

export interface HandoverFlags {
  weights: string;
  outDir: string;
  config?: string;
  nproc: number;
}

const SCRIPT = 'tools/pytorch/continue_training.py';

/**
 * Prepares a lab weights file for `tools/pytorch/continue_training.py`: checks it as `train --init`
 * would, writes DIR/weights.json and DIR/run.json (the file's own run config, or `--config`), and
 * prints the torchrun commands that continue it. A text run's text goes along as DIR/text.txt,
 * which run.json's task names as its `file` (the tokenizer travels in the weights).
 */
export function handover(flags: HandoverFlags, print: (line: string) => void): void {
  const weights = parseWeights(readJson(flags.weights, '--weights'));
  const training = weights.extra.training as { run?: unknown } | undefined;
  let raw: unknown;
  if (flags.config) raw = readJson(flags.config, '--config');
  else if (training?.run !== undefined) raw = training.run;
  else throw new ConfigError([{ path: '--config', message: `is required: ${flags.weights} carries no run config (training.run); lab files written by \`train --out\` do` }]);
  loadTaskText(raw);
  const run = parseLabRunConfig(raw, fileSeries());
  checkSameModel(run, weights.config, '--weights');
  if (run.task.name === 'text') checkSameTokenizer(run, parseTokenizer(weights.extra.tokenizer, '--weights tokenizer', transformerConfig(weights.config).tgtVocabSize), '--weights');
  const { batchSize, gradAccumSteps } = run.train;
  if (batchSize % (gradAccumSteps * flags.nproc) !== 0) {
    throw new ConfigError([{ path: '--nproc', message: `batchSize ${batchSize} is not divisible by gradAccumSteps × processes (${gradAccumSteps} × ${flags.nproc}): every process takes an equal share of each micro-batch` }]);
  }
  mkdirSync(flags.outDir, { recursive: true });
  const weightsOut = path.join(flags.outDir, 'weights.json');
  const runOut = path.join(flags.outDir, 'run.json');
  if (path.resolve(flags.weights) !== path.resolve(weightsOut)) copyFileSync(flags.weights, weightsOut);
  const task = run.task;
  let written: unknown = run;
  if (task.name === 'text') {
    const textOut = path.join(flags.outDir, 'text.txt');
    writeFileSync(textOut, requireText(task));
    written = { ...run, task: { ...task, corpus: undefined, file: textOut } };
  }
  writeFileSync(runOut, JSON.stringify(written, null, 2) + '\n');
  // A shipped series travels with the run: labtorch looks for it beside run.json.
  if (isForecastRun(run) && run.task.dataset !== undefined) {
    const file = datasetNamed(run.task.dataset)!.file;
    copyFileSync(path.join(datasetFolder(), file), path.join(flags.outDir, file));
    print(`copied the ${run.task.dataset} series to ${path.join(flags.outDir, file)}`);
  }
  const args = `${SCRIPT} --weights ${weightsOut} --config ${runOut} --out ${path.join(flags.outDir, 'continued.json')}`;
  const step = savedStep(training);
  print(`wrote ${weightsOut} (${step === undefined ? 'no saved step: starts at its optimizer state' : `step ${step} of ${run.train.steps}`}) and ${runOut}`);
  if (step !== undefined && step >= run.train.steps) print(`it has reached train.steps (${run.train.steps}): add --steps N (the step to reach) to go on`);
  print('continue on this machine with:');
  print(`  torchrun --standalone --nproc_per_node ${flags.nproc} ${args}`);
  print("  # Debian's PyTorch 1.13 on Python 3.11 misreads torchrun's default --redirects; name an unused local rank:");
  print(`  python3 -m torch.distributed.run --standalone --nproc_per_node ${flags.nproc} --redirects 9:1 --tee 9:1 ${args}`);
}
