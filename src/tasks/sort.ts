import { sequenceTask } from './sequence';

/** Ascending by id, the order the alphabet is listed in (a, b, …, z, aa, ab, …). */
export const sortTask = sequenceTask('sort', 'Write the input’s symbols in ascending order.', (input) =>
  [...input].sort((a, b) => a - b),
);
