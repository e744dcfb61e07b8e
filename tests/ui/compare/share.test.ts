import { describe, expect, it } from 'vitest';
import { MAX_SHARE_CHARS, readShareFragment, shareFragment } from '../../../src/ui/compare/share';
import { TINY_CONFIG } from '../../../src/ui/config/presets';
import { messageOf } from '../../helpers/errors';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const GRID = { base: TINY_CONFIG, axes: [{ key: 'optimizer', values: 'adam, sgd(lr=0.1)' }, { key: 'precision', values: 'fp32, fp16' }] };

describe('share links', () => {
  it('round-trips a config', () => {
    const fragment = shareFragment('config', TINY_CONFIG);
    expect(fragment).toMatch(/^#config=[A-Za-z0-9_-]+$/);
    const shared = readShareFragment(fragment);
    expect(shared?.kind).toBe('config');
    if (shared?.kind !== 'config') return;
    expect(shared.raw).toEqual(TINY_CONFIG);
    expect(shared.config.train.optimizer).toMatchObject({ name: 'adam', lr: 0.01 });
  });

  it('round-trips a grid, with non-ASCII text intact', () => {
    const grid = { ...GRID, axes: [{ key: 'lr', values: '0.01,\u00a00.02' }] };
    const shared = readShareFragment(shareFragment('grid', grid).slice(1));
    expect(shared?.kind).toBe('grid');
    if (shared?.kind !== 'grid') return;
    expect(shared.grid).toEqual(grid);
    expect(shared.cells.map((c) => c.config.train.optimizer.lr)).toEqual([0.01, 0.02]);
    const four = readShareFragment(shareFragment('grid', GRID));
    expect(four?.kind === 'grid' && four.cells.length).toBe(4);
  });

  it('ignores fragments that are not share links', () => {
    expect(readShareFragment('')).toBeNull();
    expect(readShareFragment('#')).toBeNull();
    expect(readShareFragment('#charts')).toBeNull();
    expect(readShareFragment('#foo=bar')).toBeNull(); // another page's fragment raises no banner
    expect(readShareFragment('#weights=abc')).toBeNull();
  });

  it('refuses malformed and hostile links with a message naming the field', () => {
    const cases: [string, string | RegExp][] = [
      ['#config=', 'url.config: is empty'],
      ['#config=abc+/==', 'url.config: is not base64url text (letters, digits, - and _ only); the link may have been cut or altered'],
      [`#config=${b64('{"model":')}`, /^url\.config: is not JSON: /],
      [`#config=${Buffer.from([0xff, 0xfe, 0x80]).toString('base64url')}`, 'url.config: does not decode to UTF-8 text; the link may have been cut or altered'],
      [`#config=${'A'.repeat(MAX_SHARE_CHARS + 1)}`, `url.config: is ${MAX_SHARE_CHARS + 1} characters long; a shared setup is at most ${MAX_SHARE_CHARS}`],
      [`#config=${b64('{"model":{"__proto__":{"polluted":true}}}')}`, 'url.config.model.__proto__: is a reserved key and is not accepted'],
      [`#grid=${b64('{"base":{"constructor":{}}}')}`, 'url.grid.base.constructor: is a reserved key and is not accepted'],
      [`#config=${b64('[1,2]')}`, /^url\.config: /],
      [`#config=${b64(JSON.stringify({ ...TINY_CONFIG, train: { ...TINY_CONFIG.train, batchSize: 'lots' } }))}`, 'url.config.train.batchSize: must be number (got "lots")'],
      [`#config=${b64(JSON.stringify({ ...TINY_CONFIG, extra: 1 }))}`, 'url.config.extra: unknown field "extra"'],
      [`#grid=${b64(JSON.stringify({ ...GRID, axes: [{ key: 'precision', values: 'fp32, fp64' }] }))}`, 'url.grid.axes.0.values: precision "fp64": must be one of "fp32", "fp16", "bf16" (got "fp64")'],
      [`#grid=${b64(JSON.stringify({ base: TINY_CONFIG, axes: [{ key: 'lr', values: 'x'.repeat(501) }] }))}`, /^url\.grid\.axes\.0\.values: /],
    ];
    for (const [fragment, expected] of cases) {
      const message = messageOf(() => readShareFragment(fragment));
      if (typeof expected === 'string') expect(message, fragment.slice(0, 60)).toBe(expected);
      else expect(message, fragment.slice(0, 60)).toMatch(expected);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
