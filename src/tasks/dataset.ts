import { taskDefinition } from './registry';
import { createRng } from './rng';
import type { Example, ExampleTaskConfig } from './types';

export interface Dataset {
  /** Held out: no training example ever has one of these inputs. */
  validation: Example[];
  nextTrain(batchSize: number): Example[];
}

const keyOf = (e: Example) => e.input.join(',');

/**
 * Validation and training draw from separate forks of the seed, so the same seed gives the
 * same validation set and the same training sequence, and asking for a bigger validation set
 * does not change which training examples come first (only which get rejected).
 *
 * When the task has fewer than 2 × validationSize distinct inputs, the validation set is capped
 * at half of them, so that training keeps at least as many inputs as validation holds and
 * rejecting validation inputs can always find a training example.
 */
export function createDataset(cfg: ExampleTaskConfig, seed: number, opts: { validationSize: number }): Dataset {
  const task = taskDefinition(cfg);
  const root = createRng(seed);
  const size = Math.min(opts.validationSize, Math.floor(task.exampleSpace(cfg) / 2));

  const validationRng = root.fork('validation');
  const held = new Map<string, Example>();
  while (held.size < size) {
    const e = task.sample(cfg, validationRng);
    if (!held.has(keyOf(e))) held.set(keyOf(e), e);
  }

  const trainRng = root.fork('train');
  const drawTrain = (): Example => {
    for (;;) {
      const e = task.sample(cfg, trainRng);
      if (!held.has(keyOf(e))) return e;
    }
  };
  return {
    validation: [...held.values()],
    nextTrain: (batchSize) => Array.from({ length: batchSize }, drawTrain),
  };
}

type Slot<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Prepares the next item one step ahead, on a macrotask, so that generating a batch overlaps
 * the device work the trainer is awaiting. Items come out in the order `make` produced them,
 * so the sequence does not depend on timing.
 */
export class Prefetcher<T> {
  private ready: Slot<T> | undefined;
  private scheduled = false;

  constructor(private readonly make: () => T) {}

  /** The item prepared earlier, or one made now if none is ready yet. */
  take(): T {
    const slot = this.ready;
    this.ready = undefined;
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        this.ready = this.attempt();
      }, 0);
    }
    const item = slot ?? this.attempt();
    if (!item.ok) throw item.error;
    return item.value;
  }

  /** The item the next take() returns, made now if none is ready; it stays for that take(). */
  peek(): T {
    this.ready ??= this.attempt();
    if (!this.ready.ok) throw this.ready.error;
    return this.ready.value;
  }

  // An error while prefetching surfaces on the take() that would have returned the item.
  private attempt(): Slot<T> {
    try {
      return { ok: true, value: this.make() };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
