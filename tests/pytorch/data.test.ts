import { describe, expect, it } from 'vitest';
import { toBatch } from '../../src/tasks/batches';
import { createDataset } from '../../src/tasks/dataset';
import type { BatchLayout, ExampleTaskConfig as TaskConfig } from '../../src/tasks/types';
import { python } from './python';

interface Case {
  task: TaskConfig;
  seed: number;
  validationSize: number;
  batchSize: number;
  gradAccumSteps: number;
  layout: BatchLayout;
  start: number;
  steps: number;
}

/** What the lab's trainer draws from step `start` on: it skips start × batchSize examples, then splits each batch into k. */
function labStream(c: Case) {
  const data = createDataset(c.task, c.seed, { validationSize: c.validationSize });
  for (let s = 0; s < c.start; s++) data.nextTrain(c.batchSize);
  const per = c.batchSize / c.gradAccumSteps;
  const steps = Array.from({ length: c.steps }, () => {
    const examples = data.nextTrain(c.batchSize);
    return Array.from({ length: c.gradAccumSteps }, (_, i) => toBatch(examples.slice(i * per, (i + 1) * per), c.layout));
  });
  return { validation: data.validation, steps };
}

const CASES: Case[] = [
  { task: { name: 'copy', minLength: 1, maxLength: 6, symbols: 5 }, seed: 0, validationSize: 32, batchSize: 8, gradAccumSteps: 1, layout: 'encoder-decoder', start: 0, steps: 2 },
  { task: { name: 'reverse', minLength: 2, maxLength: 8, symbols: 10 }, seed: 7, validationSize: 64, batchSize: 12, gradAccumSteps: 3, layout: 'encoder-decoder', start: 37, steps: 2 },
  { task: { name: 'sort', minLength: 1, maxLength: 5, symbols: 26 }, seed: 123456, validationSize: 16, batchSize: 6, gradAccumSteps: 2, layout: 'encoder-only', start: 11, steps: 2 },
  { task: { name: 'addition', maxDigits: 3 }, seed: 42, validationSize: 100, batchSize: 16, gradAccumSteps: 4, layout: 'decoder-only', start: 250, steps: 2 },
  // A tiny example space: half of it is held out, and training redraws every held-out input.
  { task: { name: 'copy', minLength: 1, maxLength: 2, symbols: 2 }, seed: 4294967295, validationSize: 256, batchSize: 8, gradAccumSteps: 1, layout: 'decoder-only', start: 5, steps: 2 },
];

describe('the Python port of src/tasks', () => {
  it('draws the lab\'s validation set and, from any step on, the lab\'s batches', () => {
    const r = python('tests/pytorch/py/batches.py', [], CASES);
    expect(r.code, r.stderr).toBe(0);
    const fromPython = JSON.parse(r.stdout) as unknown[];
    CASES.forEach((c, i) => expect(fromPython[i], `${c.task.name} seed ${c.seed} from step ${c.start}`).toEqual(labStream(c)));
  });
});
