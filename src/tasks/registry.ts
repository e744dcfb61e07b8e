import { z } from 'zod';
import { parseWith } from '../engine/validation';
import { additionTask } from './addition';
import { copyTask } from './copy';
import { reverseTask } from './reverse';
import { sortTask } from './sort';
import { TEXT_DESCRIPTION, TEXT_KNOBS, textTaskSchema, textVocabulary } from './text/task';
import type { ExampleTaskConfig, ExampleTaskName, SequenceConfig, TaskConfig, TaskDefinition, TaskInfo, TaskName, Vocabulary } from './types';

export type { ExampleTaskConfig, TaskConfig, TaskName } from './types';

/** The tasks that draw problems with one right answer each. */
export const TASKS: { [N in ExampleTaskName]: TaskDefinition<Extract<ExampleTaskConfig, { name: N }>> } = {
  copy: copyTask,
  reverse: reverseTask,
  sort: sortTask,
  addition: additionTask,
};

/** Every task's description and numeric knobs, for the page. */
export const TASK_INFO: Record<TaskName, TaskInfo> = { ...TASKS, text: { description: TEXT_DESCRIPTION, knobs: TEXT_KNOBS } };

export const TASK_NAMES = Object.keys(TASK_INFO) as [TaskName, ...TaskName[]];

/** The definition that matches a config; the name ties the two together, hence the cast. */
export function taskDefinition(cfg: ExampleTaskConfig): TaskDefinition {
  return TASKS[cfg.name] as TaskDefinition;
}

/** The task's vocabulary; a text task's follows from its text (a ConfigError when that is not loaded). */
export const taskVocabulary = (cfg: TaskConfig): Vocabulary => (cfg.name === 'text' ? textVocabulary(cfg) : taskDefinition(cfg).vocabulary(cfg));

/** The knobs are the single source of bounds and defaults, for the UI's sliders and this schema alike. */
function objectSchema(task: TaskDefinition) {
  const fields = Object.fromEntries(
    task.knobs.map((k) => [k.key, z.number().int().min(k.min).max(k.max).default(k.default)]),
  );
  return z.object({ name: z.literal(task.name), ...fields }).strict();
}

/**
 * Copy, reverse and sort also need their lengths in order. Checked only once every field
 * passed its own bounds, so that one mistake gives one message.
 */
function sequenceSchema(task: TaskDefinition) {
  return objectSchema(task).superRefine(
    (c, ctx) => {
      const { minLength, maxLength } = c as SequenceConfig;
      if (minLength > maxLength) {
        ctx.addIssue({ code: 'custom', path: ['minLength'], message: `minLength ${minLength} is greater than maxLength ${maxLength}` });
      }
    },
    { when: (payload) => payload.issues.length === 0 },
  );
}

/**
 * The `task` object of a run config. The name is checked on its own first so that an unknown
 * task is reported as "must be one of …" with the name it got, rather than a bare union failure.
 */
export const taskConfigSchema = z
  .object({ name: z.enum(TASK_NAMES) })
  .loose()
  .pipe(
    z.discriminatedUnion('name', [
      sequenceSchema(TASKS.copy),
      sequenceSchema(TASKS.reverse),
      sequenceSchema(TASKS.sort),
      objectSchema(TASKS.addition),
      textTaskSchema,
    ]),
  );

/** Validates a task config and fills missing knobs with their defaults; errors name `task.<field>`. */
export function parseTaskConfig<N extends TaskName>(raw: { name: N } & Record<string, unknown>, prefix?: string): Extract<TaskConfig, { name: N }>;
export function parseTaskConfig(raw: unknown, prefix?: string): TaskConfig;
export function parseTaskConfig(raw: unknown, prefix = 'task'): TaskConfig {
  return parseWith(taskConfigSchema, raw, prefix) as TaskConfig;
}
