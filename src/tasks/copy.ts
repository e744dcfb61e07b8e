import { sequenceTask } from './sequence';

export const copyTask = sequenceTask('copy', 'Repeat the input unchanged.', (input) => [...input]);
