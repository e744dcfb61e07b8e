import { useMemo, useState } from 'react';
import { ConfigError, type FieldIssue } from '../../engine/validation';
import { useLab, useLabState } from '../lab/context';
import { AXES, AXIS_KEYS, type AxisKey } from './axes';
import { buildGrid, type GridAxis, type GridSpec } from './grid';
import { shareFragment } from './share';

interface Props {
  /** The config panel's run config, or undefined while it is invalid. */
  base: unknown;
  /** Axes restored from a shared link. */
  initialAxes?: GridAxis[];
}

const DEFAULT_AXES: GridAxis[] = [
  { key: 'optimizer', values: 'adam, sgd(lr=0.1, momentum=0.9)' },
  { key: 'precision', values: 'fp32, fp16' },
];

/** Where a grid problem is, in the builder's own words (`grid.axes.1.values` → "Values of setting 2"). */
function gridPlace(path: string): string {
  const values = /^grid\.axes\.(\d+)\.values$/.exec(path);
  if (values) return `Values of setting ${Number(values[1]) + 1}`;
  const key = /^grid\.axes\.(\d+)\.key$/.exec(path);
  if (key) return `Setting ${Number(key[1]) + 1}`;
  if (path === 'grid.axes') return 'Together';
  if (path.startsWith('grid.base.')) return `The config (${path.slice('grid.base.'.length)})`;
  return path;
}

const pageAddress = () => `${window.location.origin}${window.location.pathname}${window.location.search}`;

/**
 * Vary one or two settings of the config in the panel: every combination becomes a run with
 * the same seed, initial weights and data, run one after another. Checked as you type.
 */
export function GridBuilder({ base, initialAxes }: Props) {
  const lab = useLab();
  const busy = useLabState((s) => s.library.status === 'loading');
  const [axes, setAxes] = useState<GridAxis[]>(initialAxes ?? DEFAULT_AXES);
  const [useSecond, setUseSecond] = useState((initialAxes ?? DEFAULT_AXES).length > 1);
  const [name, setName] = useState('');
  const [link, setLink] = useState('');
  const spec: GridSpec | undefined = base === undefined ? undefined : { base: base as GridSpec['base'], axes: useSecond ? axes : axes.slice(0, 1) };
  const built = useMemo((): { cells?: ReturnType<typeof buildGrid>; issues?: FieldIssue[] } => {
    if (!spec) return { issues: [{ path: '', message: 'Fix the configuration first: the grid varies the config in the panel.' }] };
    try {
      return { cells: buildGrid(spec) };
    } catch (e) {
      if (e instanceof ConfigError) return { issues: e.issues };
      throw e;
    }
  }, [JSON.stringify(spec)]); // the spec is rebuilt on every render; its text is what matters
  const setAxis = (i: number, change: Partial<GridAxis>) => setAxes((a) => a.map((x, j) => (j === i ? { ...x, ...change } : x)));
  const share = (kind: 'config' | 'grid') => {
    const url = pageAddress() + shareFragment(kind, kind === 'grid' ? spec : base);
    setLink(url);
    void navigator.clipboard?.writeText(url).catch(() => undefined);
  };
  const cells = built.cells;
  return (
    <section className="card grid-builder" aria-labelledby="grid-title">
      <h2 id="grid-title">Compare</h2>
      <p className="note">Vary one or two settings of the config on the left. Every run gets the same seed, initial weights and data order; they run one after another.</p>
      {[0, 1].map((i) => {
        const axis = axes[i]!;
        const on = i === 0 || useSecond;
        return (
          <div key={i} className="axis-row">
            {i === 1 && (
              <label className="inline"><input type="checkbox" checked={useSecond} onChange={(e) => setUseSecond(e.target.checked)} aria-label="Vary a second setting" /> and</label>
            )}
            <label className="visually-hidden" htmlFor={`axis-${i}-key`}>Setting {i + 1}</label>
            <select id={`axis-${i}-key`} value={axis.key} disabled={!on} onChange={(e) => setAxis(i, { key: e.target.value as AxisKey, values: '' })}>
              {AXIS_KEYS.map((k) => <option key={k} value={k}>{AXES[k].label}</option>)}
            </select>
            <label className="visually-hidden" htmlFor={`axis-${i}-values`}>Values of setting {i + 1}</label>
            <input id={`axis-${i}-values`} type="text" value={axis.values} disabled={!on} placeholder={AXES[axis.key].example} onChange={(e) => setAxis(i, { values: e.target.value })} />
          </div>
        );
      })}
      <div className="axis-row">
        <label htmlFor="grid-name">Name</label>
        <input id="grid-name" type="text" value={name} placeholder={spec ? axesName(spec) : ''} onChange={(e) => setName(e.target.value)} />
      </div>
      {built.issues ? (
        <ul className="field-error grid-issues" role="alert">
          {built.issues.map((i) => <li key={`${i.path}:${i.message}`}>{i.path ? <strong>{gridPlace(i.path)}: </strong> : null}{i.message}</li>)}
        </ul>
      ) : <p className="note">{cells!.length} runs: {cells!.map((c) => c.label).join('; ')}</p>}
      <div className="buttons">
        <button
          type="button" className="primary" disabled={!cells || busy}
          onClick={() => spec && cells && lab.shelf.startGrid(name.trim() || axesName(spec), spec, cells)}
        >
          Run grid
        </button>
        <button type="button" disabled={base === undefined} onClick={() => share('config')}>Link to this config</button>
        <button type="button" disabled={!cells} onClick={() => share('grid')}>Link to this grid</button>
      </div>
      {link && (
        <p className="share-link">
          <label htmlFor="share-link">Share link (copied)</label>
          <input id="share-link" type="text" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
        </p>
      )}
    </section>
  );
}

const axesName = (spec: GridSpec) => spec.axes.map((a) => AXES[a.key].label.toLowerCase()).join(' × ');
