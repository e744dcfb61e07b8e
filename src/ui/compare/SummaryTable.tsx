import { useState } from 'react';
import type { ShelfRun } from '../lab/library';
import { RESUMABLE } from '../lab/library';
import { bytes, duration, num, percent } from '../lab/format';
import { useLab } from '../lab/context';
import { settingName, settingValue } from './series';
import { EVAL_METRICS, type EvalMetricKey } from '../../tasks/metrics';
import { bestValues, columnsFor, sortRows, summaryRow, type ColumnKey, type SortKey } from './summary';

interface Props {
  runs: readonly ShelfRun[];
  /** The run training now: its step comes from the run itself, as it changes (its time is saved at each checkpoint). */
  live?: { id: string; step: number };
  colors: ReadonlyMap<string, string>;
  differing: readonly string[];
}

const show: Record<Exclude<ColumnKey, EvalMetricKey>, (v: number | undefined) => string> = {
  finalValLoss: (v) => num(v, 4),
  bestValLoss: (v) => num(v, 4),
  peakMeasured: bytes,
  peakPredicted: bytes,
  tokensPerSec: (v) => num(v),
  wallMs: duration,
  skipped: (v) => (v === undefined ? '—' : String(v)),
};

/** A task metric as its spec says (tasks/metrics.ts), any other column by its own format. */
const isMetric = (key: ColumnKey): key is EvalMetricKey => Object.hasOwn(EVAL_METRICS, key);
const shown = (key: ColumnKey, v: number | undefined): string => {
  if (!isMetric(key)) return show[key](v);
  return EVAL_METRICS[key].format === 'percent' ? percent(v) : num(v, 4);
};

/** Every run of the comparison: what differs, how it did, and what can be done with it. */
export function SummaryTable({ runs, live, colors, differing }: Props) {
  const lab = useLab();
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'order', descending: false });
  const [renaming, setRenaming] = useState<{ id: string; text: string }>();
  const current = (r: ShelfRun) => (live?.id === r.id ? { ...r, step: live.step } : r);
  const rows = sortRows(runs.map((r) => summaryRow(current(r))), sort.key, sort.descending);
  const best = bestValues(rows);
  const columns = columnsFor(runs);
  const header = (key: ColumnKey | 'name', label: string) => (
    <th key={key} scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="link" onClick={() => setSort((s) => ({ key, descending: s.key === key ? !s.descending : false }))}>
        {label}{sort.key === key ? (sort.descending ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
  const finishRename = () => {
    if (renaming) lab.shelf.rename(renaming.id, renaming.text);
    setRenaming(undefined);
  };
  return (
    <div className="table-scroll">
      <table className="compare-table" aria-label="Comparison summary">
        <thead>
          <tr>
            {header('name', 'Run')}
            {differing.map((p) => <th key={p} scope="col" title={p}>{settingName(p)}</th>)}
            {columns.map((c) => header(c.key, c.label))}
            <th scope="col">Status</th>
            <th scope="col"><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const r = row.run;
            const running = r.status === 'running' || lab.shelf.scheduled(r.id);
            return (
              <tr key={r.id} data-run={r.name} data-status={r.status}>
                <th scope="row">
                  <i className="swatch" style={{ background: colors.get(r.id) }} aria-hidden="true" />
                  {renaming?.id === r.id ? (
                    <input
                      type="text" aria-label={`New name for ${r.name}`} value={renaming.text} autoFocus
                      onChange={(e) => setRenaming({ id: r.id, text: e.target.value })}
                      onBlur={finishRename} onKeyDown={(e) => e.key === 'Enter' && finishRename()}
                    />
                  ) : r.name}
                </th>
                {differing.map((p) => <td key={p}>{settingValue(r.config, p)}</td>)}
                {columns.map((c) => {
                  const v = row[c.key];
                  const isBest = v !== undefined && best[c.key] === v;
                  return <td key={c.key} className={isBest ? 'best' : undefined} title={isBest ? 'best in this column' : undefined}>{shown(c.key, v)}{isBest ? ' ★' : ''}</td>;
                })}
                <td>{r.status}{r.status !== 'done' && r.targetSteps > 0 ? ` ${r.step}/${r.targetSteps}` : ''}{r.message ? <span className="field-error">{r.message}</span> : null}</td>
                <td className="row-actions">
                  {RESUMABLE.includes(r.status) && !running && <button type="button" aria-label={`${r.status === 'queued' ? 'Run' : 'Resume'} ${r.name}`} onClick={() => lab.shelf.resume(r.id)}>{r.status === 'queued' ? 'Run' : 'Resume'}</button>}
                  {(running || r.status === 'queued') && <button type="button" aria-label={`Cancel ${r.name}`} onClick={() => lab.shelf.cancel(r.id)}>Cancel</button>}
                  {!running && r.status !== 'queued' && <button type="button" aria-label={`Re-run ${r.name}`} onClick={() => lab.shelf.rerun(r.id)}>Re-run</button>}
                  <button type="button" aria-label={`Rename ${r.name}`} onClick={() => setRenaming({ id: r.id, text: r.name })}>Rename</button>
                  {!running && <button type="button" aria-label={`Delete ${r.name}`} onClick={() => lab.shelf.remove(r.id)}>Delete</button>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
