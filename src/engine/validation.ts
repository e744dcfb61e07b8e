import type { z } from 'zod';

/** One problem with one field: `path` is dotted from the document's root (`train.optimizer.lr`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Raised for any rejected input (config, weights file, batch, CLI flag). Every issue names its field. */
export class ConfigError extends Error {
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  try {
    const s = JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 37)}...` : s;
  } catch {
    return String(v);
  }
};

function describe(issue: z.core.$ZodIssue): string {
  const got = 'input' in issue ? ` (got ${show(issue.input)})` : '';
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `is required (${issue.expected})` : `must be ${issue.expected}${got}`;
    case 'too_small':
      return `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}${got}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}${got}`;
    case 'not_multiple_of':
      return issue.divisor === 1 ? `must be an integer${got}` : `must be a multiple of ${String(issue.divisor)}${got}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(show).join(', ')}${got}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_union':
      return `is not a valid choice${got}`;
    default:
      return issue.message;
  }
}

/** Parses with a zod schema and turns its issues into one `ConfigError` naming every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const isInt = issue.code === 'invalid_type' && issue.expected === 'int';
    const message = issue.code === 'custom' ? issue.message : isInt ? `must be an integer (got ${show((issue as { input?: unknown }).input)})` : describe(issue);
    return { path, message };
  });
  throw new ConfigError(issues);
}
