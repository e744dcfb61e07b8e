import { describe, expect, it } from 'vitest';
import { RunQueue } from '../../../src/ui/lab/runQueue';

/** A queue whose launches are logged. */
function queue() {
  const launched: string[] = [];
  return { q: new RunQueue((id) => launched.push(id)), launched };
}

describe('RunQueue', () => {
  it('trains one run at a time, in the order added, each once', () => {
    const { q, launched } = queue();
    q.add(['a', 'b']);
    q.add(['b', 'c', 'a']);
    expect(launched).toEqual(['a']);
    expect(q.active).toBe('a');
    expect(['a', 'b', 'c', 'd'].map((id) => q.scheduled(id))).toEqual([true, true, true, false]);
    q.done('b'); // not the one training: nothing moves
    expect(launched).toEqual(['a']);
    q.done('a');
    q.done('b');
    expect(launched).toEqual(['a', 'b', 'c']);
    q.done('c');
    expect(q.active).toBeUndefined();
  });

  it('puts a resumed run first, and starts it at once when nothing trains', () => {
    const { q, launched } = queue();
    q.add(['a', 'b', 'c']);
    q.first('c');
    q.done('a');
    expect(launched).toEqual(['a', 'c']);
    q.done('c');
    q.done('b');
    q.first('z');
    expect(launched).toEqual(['a', 'c', 'b', 'z']);
  });

  it('forgets removed runs and, on clear, everything (a run from the panel took the worker)', () => {
    const { q, launched } = queue();
    q.add(['a', 'b', 'c', 'd']);
    q.remove(new Set(['b', 'c']));
    q.done('a');
    expect(launched).toEqual(['a', 'd']);
    q.add(['e']);
    q.clear();
    expect([q.active, q.scheduled('e')]).toEqual([undefined, false]);
    q.add(['f']);
    expect(launched).toEqual(['a', 'd', 'f']);
  });

  it('moves on when a launch finds its run gone (the launcher says so with done)', () => {
    const launched: string[] = [];
    const q: RunQueue = new RunQueue((id) => {
      launched.push(id);
      if (id === 'gone') q.done(id);
    });
    q.add(['gone', 'b']);
    expect(launched).toEqual(['gone', 'b']);
    expect(q.active).toBe('b');
  });
});
