import { describe, expect, it } from 'vitest';
import { layout, nearest, type PlotSeries } from '../../src/ui/charts/plot/scales';

const line = (id: string, ys: number[], extra: Partial<PlotSeries> = {}): PlotSeries => ({ id, name: id, color: '#000', points: ys.map((y, x) => ({ x, y })), ...extra });

/** The "x,y" pairs of a path, as numbers. */
const pairs = (d: string) => [...d.matchAll(/(-?[\d.]+(?:e-?\d+)?),(-?[\d.]+(?:e-?\d+)?)/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('plot geometry', () => {
  it('maps the data onto the plot area, one path point per data point, and leaves gaps where a value is missing', () => {
    const g = layout([line('a', [0, 5, 10])], 400, 200, { fromZero: true }, []);
    expect(g.x(0)).toBe(g.inner.left);
    expect(g.x(2)).toBe(g.inner.left + g.inner.width);
    const points = pairs(g.paths[0]!.d);
    expect(points).toHaveLength(3);
    expect(points[0]![1]).toBe(g.inner.top + g.inner.height); // y = 0 at the bottom
    expect(points[2]![1]).toBe(g.inner.top); // the top of a nice domain [0, 10]
    const gap = layout([line('a', [1, Number.NaN, 3, 4])], 400, 200, {}, []);
    expect(gap.paths[0]!.d.match(/M/g)).toHaveLength(2);
  });

  it('stacks areas on the base each one is given', () => {
    const g = layout([line('low', [2, 2], { kind: 'area' }), line('high', [5, 5], { kind: 'area', base: [2, 2] })], 400, 200, { fromZero: true }, []);
    const ys = pairs(g.paths[1]!.d).map((p) => p[1]);
    expect(new Set(ys)).toEqual(new Set([g.y(5), g.y(2)]));
  });

  it('keeps a log scale to the data’s own range, with ticks inside it', () => {
    const g = layout([line('loss', [2.3, 1.5, 1.1, 0.9])], 400, 200, { log: true }, []);
    const [lo, hi] = g.y.domain() as [number, number];
    expect(lo).toBeGreaterThan(0.8);
    expect(hi).toBeLessThan(2.6);
    expect(g.yTicks).toEqual([1, 2]); // the round ones: 1 above all
    for (const t of g.yTicks) expect(t >= lo && t <= hi).toBe(true);
    expect(layout([line('loss', [2.4, 0.45])], 400, 200, { log: true }, []).yTicks).toEqual([0.5, 1, 2]);
    expect(layout([line('scale', [1, 1e3, 1e6])], 400, 200, { log: true }, []).yTicks).toEqual([1, 10, 100, 1000, 1e4, 1e5, 1e6].filter((_, i) => i % 2 === 0));
    // Points at or below zero cannot sit on a log scale: they leave a gap instead of a NaN path.
    expect(layout([line('s', [0, 1, 2])], 400, 200, { log: true }, []).paths[0]!.d).not.toContain('NaN');
  });

  it('takes reference lines into the y range (the predicted peak above a lower measured one)', () => {
    const g = layout([line('m', [1, 1.2])], 400, 200, { fromZero: true }, [{ y: 5, color: '#f00' }]);
    expect((g.y.domain() as number[])[1]).toBeGreaterThanOrEqual(5);
  });

  it('starts the x axis where asked (a resumed run from its first step)', () => {
    const g = layout([line('a', [1, 2, 3])], 400, 200, {}, [], [-5, undefined]);
    expect(g.x.domain()).toEqual([-5, 2]);
  });

  it('finds the point nearest a hovered x', () => {
    const points = [0, 10, 20, 30].map((x) => ({ x, y: x }));
    expect(nearest(points, 14)).toBe(1);
    expect(nearest(points, 16)).toBe(2);
    expect(nearest(points, -3)).toBe(0);
    expect(nearest(points, 99)).toBe(3);
    expect(nearest([], 1)).toBe(-1);
  });
});
