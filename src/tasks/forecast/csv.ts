import { csvParseRows } from 'd3-dsv';
import { ConfigError } from '../../engine/validation';

/*
 * A CSV of measurements as a table of named columns, parsed by d3-dsv (quotes, embedded commas
 * and newlines as RFC 4180 has them). Rows are named as a spreadsheet shows them: the header is
 * row 1, the first measurement row 2.
 */

/** The cells of a CSV under its header, as text. */
export interface CsvTable {
  /** The header's names, in file order. */
  header: string[];
  /** Data rows (the header excluded), each as long as the header. */
  rows: string[][];
}

/** Cells that mean "no value here": refused in a chosen column, never filled in. */
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '-', '?']);
const INFINITE = new Set(['inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** What a cell holds: a finite number, a missing value, a non-finite one, or text. */
export type Cell = { kind: 'number'; value: number } | { kind: 'missing' } | { kind: 'infinite' } | { kind: 'text' };

export function readCell(text: string): Cell {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (MISSING.has(lower)) return { kind: 'missing' };
  if (INFINITE.has(lower)) return { kind: 'infinite' };
  if (!DECIMAL.test(t)) return { kind: 'text' };
  const value = Number(t);
  return Number.isFinite(value) ? { kind: 'number', value } : { kind: 'infinite' };
}

/** The row number a spreadsheet shows for data row `i` (0-based, header excluded). */
export const rowNumber = (i: number) => i + 2;

const show = (s: string) => JSON.stringify(s.length > 30 ? `${s.slice(0, 27)}...` : s);

/**
 * Parses CSV text with a header row. `field` names the source in messages (`task.csv`). Refuses
 * an empty file, a first row of numbers (no header), blank or repeated column names, and rows
 * whose cell count differs from the header's.
 */
export function parseCsv(text: string, field: string): CsvTable {
  const fail = (message: string): never => {
    throw new ConfigError([{ path: field, message }]);
  };
  const all = csvParseRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  // A final newline leaves no row; a blank last line leaves one empty cell.
  while (all.length > 0 && all.at(-1)!.length === 1 && all.at(-1)![0]!.trim() === '') all.pop();
  const header = all[0];
  if (!header) return fail('the CSV is empty: it needs a header row of column names and rows of measurements');
  if (header.every((cell) => readCell(cell).kind === 'number')) {
    return fail(`row 1 holds numbers (${header.slice(0, 3).map(show).join(', ')}${header.length > 3 ? ', …' : ''}), not column names: the CSV needs a header row`);
  }
  const names = header.map((h) => h.trim());
  names.forEach((name, c) => {
    if (name === '') fail(`row 1, column ${c + 1}: the header names no column here; every column needs a name`);
    const first = names.indexOf(name);
    if (first !== c) fail(`row 1: the column name ${show(name)} appears twice (columns ${first + 1} and ${c + 1})`);
  });
  const rows = all.slice(1);
  rows.forEach((row, i) => {
    if (row.length !== names.length) {
      fail(`row ${rowNumber(i)} has ${row.length} ${row.length === 1 ? 'cell' : 'cells'}, the header has ${names.length}`);
    }
  });
  return { header: names, rows };
}

/** Whether a column holds numbers: no text cell and at least one number (missing cells are the caller's to refuse). */
export function isNumericColumn(table: CsvTable, column: number): boolean {
  let numbers = 0;
  for (const row of table.rows) {
    const kind = readCell(row[column]!).kind;
    if (kind === 'text') return false;
    if (kind === 'number') numbers++;
  }
  return numbers > 0;
}
