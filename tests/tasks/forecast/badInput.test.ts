import { describe, expect, it } from 'vitest';
import { parseLabRunConfig } from '../../../src/engine/runConfig';
import { prepareForecastData } from '../../../src/tasks/forecast/series';
import { parseForecastTaskConfig } from '../../../src/tasks/forecast/task';
import { messageOf } from '../../helpers/errors';

const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');
const CSV = `date,a,b\n${rows(40, (i) => `d${i},${i % 7},${(i * 3) % 5}`)}\n`;
const task = (extra: Record<string, unknown> = {}) => parseForecastTaskConfig({ name: 'forecast', csv: 'm.csv', lookback: 4, horizon: 2, ...extra });
const prepare = (text: string, extra: Record<string, unknown> = {}) => () => prepareForecastData(task(extra), text);
const run = (model: Record<string, unknown>, taskExtra: Record<string, unknown> = {}, text = CSV) => () =>
  parseLabRunConfig(
    { model: { kind: 'forecaster', dModel: 8, nHeads: 2, nLayers: 1, dFF: 16, ...model }, task: { name: 'forecast', csv: 'm.csv', lookback: 4, horizon: 2, ...taskExtra }, train: {} },
    () => text,
  );

describe('bad series input is refused with its row, column or field', () => {
  it('a CSV without a header', () => {
    expect(messageOf(prepare(`1,2,3\n4,5,6\n`))).toBe('task.csv: row 1 holds numbers ("1", "2", "3"), not column names: the CSV needs a header row');
  });

  it('an empty CSV, and rows that do not match the header', () => {
    expect(messageOf(prepare(''))).toMatch(/^task\.csv: the CSV is empty/);
    expect(messageOf(prepare('a,b\n1,2\n3\n'))).toBe('task.csv: row 3 has 1 cell, the header has 2');
  });

  it('a chosen column that is not numeric', () => {
    expect(messageOf(prepare(CSV, { columns: ['a', 'date'] }))).toBe('task.csv: column "date" is not numeric: row 2, column "date" holds "d0"');
  });

  it('a chosen column the CSV does not have', () => {
    expect(messageOf(prepare(CSV, { columns: ['a', 'c'] }))).toBe('task.columns.1: the CSV has no column "c" (its columns: "date", "a", "b")');
  });

  it('a missing value, named by row and column, never filled in', () => {
    const text = CSV.replace('d5,5,0', 'd5,,0');
    expect(messageOf(prepare(text))).toBe('task.csv: row 7, column "a": the value is missing (""); fill or drop the row, the lab fills nothing in');
    expect(messageOf(prepare(CSV.replace('d5,5,0', 'd5,NA,0')))).toMatch(/^task\.csv: row 7, column "a": the value is missing \("NA"\)/);
  });

  it('a non-finite value', () => {
    expect(messageOf(prepare(CSV.replace('d9,2,2', 'd9,2,Infinity')))).toBe('task.csv: row 11, column "b": "Infinity" is not a finite number');
    expect(messageOf(prepare(CSV.replace('d9,2,2', 'd9,2,1e999')))).toBe('task.csv: row 11, column "b": "1e999" is not a finite number');
  });

  it('a constant column', () => {
    const text = `t,a,b\n${rows(40, (i) => `${i},3.5,${i % 4}`)}\n`;
    expect(messageOf(prepare(text))).toBe('task.csv: column "a" is constant over the 28 training rows (every value is 3.5): it cannot be standardised; leave it out of task.columns');
  });

  it('too few rows for one window in each split', () => {
    expect(messageOf(prepare(CSV, { lookback: 4, horizon: 5 }))).toBe(
      'task.lookback: 40 rows are too few for one window of lookback 4 + horizon 5 in each split (train rows 1–28, val rows 29–32, test rows 33–40; none fits in val): shorten the lookback or the horizon, or use a longer series',
    );
  });

  it('lookback or horizon out of bounds', () => {
    expect(messageOf(() => task({ lookback: 0 }))).toBe('task.lookback: must be ≥ 1 (got 0)');
    expect(messageOf(() => task({ horizon: 5000 }))).toBe('task.horizon: must be ≤ 1024 (got 5000)');
    expect(messageOf(() => task({ lookback: 2.5 }))).toBe('task.lookback: must be an integer (got 2.5)');
    expect(messageOf(run({ lookback: 8 }))).toBe('model.lookback: 8 differs from task.lookback 4');
  });

  it('csv and dataset: exactly one, and a known series', () => {
    expect(messageOf(() => parseForecastTaskConfig({ name: 'forecast', lookback: 4, horizon: 2 }))).toBe('task.csv: give exactly one of csv (a file) and dataset (a series the lab ships)');
    expect(messageOf(() => parseForecastTaskConfig({ name: 'forecast', dataset: 'nope' }))).toMatch(/^task\.dataset: must be one of "seattle-weather", "co2-concentration"/);
  });

  it('a model whose nVariates differs from the CSV’s columns', () => {
    expect(messageOf(run({ nVariates: 7 }))).toBe('model.nVariates: 7 differs from the 2 columns the task reads ("a", "b")');
  });

  it('a forecaster on a token task, and a token model on the forecast task', () => {
    expect(messageOf(() => parseLabRunConfig({ model: { kind: 'forecaster' }, task: { name: 'reverse' } }))).toBe('task.name: a forecaster trains on the forecast task (got "reverse")');
    expect(messageOf(run({ kind: undefined, nEncoderLayers: 1 }))).toMatch(/model\.kind: must be one of "forecaster"/);
  });

  it('fills nVariates, lookback and horizon from the task, and names the chosen columns', () => {
    const r = run({})();
    expect(r.model).toMatchObject({ kind: 'forecaster', lookback: 4, horizon: 2, nVariates: 2, activation: 'gelu', useNorm: true });
    expect(r.task).toMatchObject({ columns: ['a', 'b'] });
  });
});
