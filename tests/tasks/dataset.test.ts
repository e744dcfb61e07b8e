import { describe, it, expect } from 'vitest';
import { Prefetcher, createDataset } from '../../src/tasks/dataset';
import { parseTaskConfig } from '../../src/tasks/registry';
import type { Example } from '../../src/tasks/types';

const key = (e: Example) => e.input.join(',');
const batches = (ds: ReturnType<typeof createDataset>, n: number, size = 8) => Array.from({ length: n }, () => ds.nextTrain(size));

describe('createDataset', () => {
  const cfg = parseTaskConfig({ name: 'reverse' });

  it('gives the same validation set and training sequence for the same seed', () => {
    const a = createDataset(cfg, 17, { validationSize: 64 });
    const b = createDataset(cfg, 17, { validationSize: 64 });
    expect(a.validation).toEqual(b.validation);
    expect(batches(a, 5)).toEqual(batches(b, 5));
  });

  it('gives different data for a different seed', () => {
    const a = createDataset(cfg, 17, { validationSize: 64 });
    const b = createDataset(cfg, 18, { validationSize: 64 });
    expect(a.validation).not.toEqual(b.validation);
    expect(batches(a, 1)).not.toEqual(batches(b, 1));
  });

  it('holds validationSize distinct inputs when the task has room for them', () => {
    const ds = createDataset(cfg, 1, { validationSize: 300 });
    expect(ds.validation).toHaveLength(300);
    expect(new Set(ds.validation.map(key)).size).toBe(300);
    expect(ds.nextTrain(32)).toHaveLength(32);
  });

  it('never trains on a validation input, yet trains on every other input', () => {
    // 3 + 9 + 27 = 39 inputs: 10 held out, so training must cover the other 29.
    const small = parseTaskConfig({ name: 'copy', minLength: 1, maxLength: 3, symbols: 3 });
    const ds = createDataset(small, 5, { validationSize: 10 });
    const held = new Set(ds.validation.map(key));
    expect(held.size).toBe(10);
    const trained = new Set(batches(ds, 200, 32).flat().map(key));
    for (const k of trained) expect(held.has(k)).toBe(false);
    expect(trained.size).toBe(29);
  });

  it('caps validation at half the example space', () => {
    const small = parseTaskConfig({ name: 'sort', minLength: 1, maxLength: 3, symbols: 3 });
    expect(createDataset(small, 2, { validationSize: 100 }).validation).toHaveLength(19);
    const addition = parseTaskConfig({ name: 'addition', maxDigits: 1 });
    expect(createDataset(addition, 2, { validationSize: 80 }).validation).toHaveLength(50);
  });

  it('keeps the training sequence when only the validation size changes, apart from rejected inputs', () => {
    const small = createDataset(cfg, 3, { validationSize: 8 });
    const large = createDataset(cfg, 3, { validationSize: 200 });
    const heldByLarge = new Set(large.validation.map(key));
    const expected = batches(small, 20).flat().filter((e) => !heldByLarge.has(key(e)));
    expect(batches(large, 20).flat().slice(0, expected.length)).toEqual(expected);
  });
});

describe('Prefetcher', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('makes the first item on demand, then prepares the next on a macrotask', async () => {
    let made = 0;
    const p = new Prefetcher(() => made++);
    expect(p.take()).toBe(0);
    expect(made).toBe(1);
    await tick();
    expect(made).toBe(2);
    expect(p.take()).toBe(1);
    expect(made).toBe(2);
    await tick();
    expect(made).toBe(3);
  });

  it('hands items out in the order they were made, however take() is timed', async () => {
    let made = 0;
    const p = new Prefetcher(() => made++);
    const taken = [p.take(), p.take(), p.take()];
    await tick();
    taken.push(p.take());
    await tick();
    await tick();
    taken.push(p.take(), p.take());
    expect(taken).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rethrows an error from prefetching on the take() that would have returned the item', async () => {
    let made = 0;
    const p = new Prefetcher(() => {
      if (++made === 2) throw new Error('generator failed');
      return made;
    });
    expect(p.take()).toBe(1);
    await tick();
    expect(() => p.take()).toThrow('generator failed');
    await tick();
    expect(p.take()).toBe(3);
  });
});
