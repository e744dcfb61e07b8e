/**
 * The order in which the worker trains kept runs: one at a time, a grid's runs in turn. It holds
 * ids only; `launch` is the shelf's, which sends a run to the worker (and, for a run that is gone,
 * calls `done` with its id so the next one starts).
 */
export class RunQueue {
  /** Runs waiting for their turn, in order. */
  private waiting: string[] = [];
  /** The run the worker trains now. */
  private current?: string;

  constructor(private readonly launch: (id: string) => void) {}

  get active(): string | undefined {
    return this.current;
  }

  /** A run started from the panel took the worker: nothing waits any more. */
  clear(): void {
    this.waiting = [];
    this.current = undefined;
  }

  /** Runs to train after those waiting (each once); the first starts when nothing trains. */
  add(ids: readonly string[]): void {
    this.waiting.push(...ids.filter((id) => !this.waiting.includes(id) && id !== this.current));
    if (!this.current) this.next();
  }

  /** A run to train before every waiting one; it starts when nothing trains. */
  first(id: string): void {
    this.waiting = [id, ...this.waiting.filter((q) => q !== id)];
    if (!this.current) this.next();
  }

  /** Runs that no longer wait (cancelled, deleted). */
  remove(ids: ReadonlySet<string>): void {
    this.waiting = this.waiting.filter((q) => !ids.has(q));
  }

  /** The run `id` is over or was refused: when it was the one training, the next starts. */
  done(id: string): void {
    if (id !== this.current) return;
    this.current = undefined;
    this.next();
  }

  /** Whether a run trains now or waits its turn. */
  scheduled(id: string): boolean {
    return id === this.current || this.waiting.includes(id);
  }

  private next(): void {
    const id = this.waiting.shift();
    if (id === undefined) return;
    this.current = id;
    this.launch(id);
  }
}
