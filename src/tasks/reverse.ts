import { sequenceTask } from './sequence';

export const reverseTask = sequenceTask('reverse', 'Write the input back to front.', (input) => [...input].reverse());
