import { describe, it, expect } from 'vitest';
import { ConfigError } from '../../src/engine/validation';
import { TASKS, parseTaskConfig, taskVocabulary } from '../../src/tasks/registry';

function messageOf(raw: unknown): string {
  try {
    parseTaskConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('parseTaskConfig', () => {
  it('fills missing knobs with their defaults', () => {
    expect(parseTaskConfig({ name: 'copy' })).toEqual({ name: 'copy', minLength: 1, maxLength: 8, symbols: 10 });
    expect(parseTaskConfig({ name: 'sort', maxLength: 3 })).toEqual({ name: 'sort', minLength: 1, maxLength: 3, symbols: 10 });
    expect(parseTaskConfig({ name: 'addition' })).toEqual({ name: 'addition', maxDigits: 3 });
  });

  it('keeps knobs that are given, at their bounds included', () => {
    const raw = { name: 'reverse', minLength: 64, maxLength: 64, symbols: 2 };
    expect(parseTaskConfig(raw)).toEqual(raw);
  });

  it('names the choices for an unknown or missing task', () => {
    expect(messageOf({ name: 'multiply' })).toBe('task.name: must be one of "copy", "reverse", "sort", "addition", "text" (got "multiply")');
    expect(messageOf({ maxDigits: 3 })).toBe('task.name: must be one of "copy", "reverse", "sort", "addition", "text" (got nothing)');
    expect(messageOf(5)).toBe('task: must be object (got 5)');
  });

  it('checks each knob against its bounds', () => {
    expect(messageOf({ name: 'copy', symbols: 101 })).toBe('task.symbols: must be ≤ 100 (got 101)');
    expect(messageOf({ name: 'addition', maxDigits: 0 })).toBe('task.maxDigits: must be ≥ 1 (got 0)');
  });

  it('rejects non-integers and non-numbers', () => {
    expect(messageOf({ name: 'addition', maxDigits: 2.5 })).toBe('task.maxDigits: must be an integer (got 2.5)');
    expect(messageOf({ name: 'sort', symbols: '10' })).toBe('task.symbols: must be number (got "10")');
  });

  it('rejects minLength above maxLength, naming both', () => {
    expect(messageOf({ name: 'sort', minLength: 9, maxLength: 4 })).toBe('task.minLength: minLength 9 is greater than maxLength 4');
    expect(messageOf({ name: 'copy', minLength: 9 })).toBe('task.minLength: minLength 9 is greater than maxLength 8');
  });

  it('rejects unknown keys, including another task’s knob', () => {
    expect(messageOf({ name: 'reverse', colour: 1 })).toBe('task: unknown field "colour"');
    expect(messageOf({ name: 'addition', symbols: 10 })).toBe('task: unknown field "symbols"');
  });

  it('reports every problem at once, under the prefix it is given', () => {
    try {
      parseTaskConfig({ name: 'copy', symbols: 0, maxLength: 0 }, 'run.task');
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([
        { path: 'run.task.maxLength', message: 'must be ≥ 1 (got 0)' },
        { path: 'run.task.symbols', message: 'must be ≥ 2 (got 0)' },
      ]);
    }
  });
});

describe('TASKS', () => {
  it.each(Object.keys(TASKS) as (keyof typeof TASKS)[])('%s: knobs describe exactly the config fields, defaults within bounds', (name) => {
    const task = TASKS[name];
    expect(task.name).toBe(name);
    const defaults = parseTaskConfig({ name });
    expect(Object.keys(defaults).sort()).toEqual(['name', ...task.knobs.map((k) => k.key)].sort());
    for (const k of task.knobs) {
      expect(k.min).toBeLessThanOrEqual(k.default);
      expect(k.default).toBeLessThanOrEqual(k.max);
      expect(defaults[k.key as keyof typeof defaults]).toBe(k.default);
    }
  });

  it('gives each task its vocabulary', () => {
    expect(taskVocabulary({ name: 'copy', minLength: 1, maxLength: 8, symbols: 10 }).size).toBe(13);
    expect(taskVocabulary({ name: 'addition', maxDigits: 3 }).size).toBe(14);
  });
});
