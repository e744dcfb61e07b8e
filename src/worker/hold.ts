/**
 * The page's request for a quiet device while it draws: taken at the next step boundary, and
 * kept until the page releases it or `maxMs` pass (a hidden or stuck page never stalls a run).
 */
export class Hold {
  private pending = false;
  private release?: () => void;

  request(): void {
    this.pending = true;
  }

  /** Whether a hold was asked for and not yet taken. */
  get requested(): boolean {
    return this.pending;
  }

  /** Whether a hold is taken now (the run waits between steps). */
  get taken(): boolean {
    return this.release !== undefined;
  }

  /** Between steps: when a hold was requested, announce it and wait for the release. */
  async take(announce: () => void, maxMs: number): Promise<void> {
    if (!this.pending) return;
    this.pending = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.end(), maxMs);
      this.release = () => {
        clearTimeout(timer);
        this.release = undefined;
        resolve();
      };
      announce();
    });
  }

  /** Releases a hold that is taken, and forgets one that was only requested. */
  end(): void {
    this.pending = false;
    this.release?.();
  }
}
