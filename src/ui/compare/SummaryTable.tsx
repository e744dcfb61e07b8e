import { useState } from 'react';
import type { ShelfRun } from '../lab/library';
import { keptStatus, RESUMABLE } from '../lab/library';
import { useLab, useLabState } from '../lab/context';
import type { SettingColumn } from './series';
import { bestRows, columnsFor, sortRows, summaryRow, type ColumnKey, type SortKey } from './summary';

interface Props {
  runs: readonly ShelfRun[];
  colors: ReadonlyMap<string, string>;
  settings: readonly SettingColumn[];
  /** The metric columns shown (the column chooser). */
  shown: ReadonlySet<ColumnKey>;
  hidden: ReadonlySet<string>;
  onShow(runId: string, show: boolean): void;
  onSolo(runId: string): void;
  onHover(runId: string | undefined): void;
}

/**
 * Every run of the comparison: the settings that differ, how it did, and what can be done with
 * it. The run's name and its actions stay in view however far the table scrolls sideways.
 */
export function SummaryTable({ runs, colors, settings, shown, hidden, onShow, onSolo, onHover }: Props) {
  const lab = useLab();
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'order', descending: false });
  const [renaming, setRenaming] = useState<{ id: string; text: string }>();
  const rows = sortRows(runs.map(summaryRow), sort.key, sort.descending);
  const best = bestRows(rows);
  // The task metrics of these runs' tasks only (tasks/metrics.ts), as the chooser leaves them.
  const columns = columnsFor(runs).filter((c) => shown.has(c.key));
  const header = (key: SortKey, label: string, help?: string) => (
    <th key={key} scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'} title={help}>
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
            {settings.map((s) => <th key={s.key} scope="col" title={s.key}>{s.label}</th>)}
            {columns.map((c) => header(c.key, c.label, c.help))}
            <th scope="col">Status</th>
            <th scope="col" className="actions-col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const r = row.run;
            const running = r.status === 'running' || lab.shelf.scheduled(r.id);
            const main = running || r.status === 'queued'
              ? { label: 'Cancel', act: () => lab.shelf.cancel(r.id) }
              : RESUMABLE.includes(r.status) ? { label: 'Resume', act: () => lab.shelf.resume(r.id) } : undefined;
            return (
              <tr key={r.id} data-run={r.name} data-status={r.status} onMouseEnter={() => onHover(r.id)} onMouseLeave={() => onHover(undefined)}>
                <th scope="row" className="run-col">
                  <input type="checkbox" checked={!hidden.has(r.id)} onChange={(e) => onShow(r.id, e.target.checked)} aria-label={`Show ${r.name} on the charts`} />
                  <i className="swatch" style={{ background: colors.get(r.id) }} aria-hidden="true" />
                  {renaming?.id === r.id ? (
                    <input
                      type="text" aria-label={`New name for ${r.name}`} value={renaming.text} autoFocus
                      onChange={(e) => setRenaming({ id: r.id, text: e.target.value })}
                      onBlur={finishRename} onKeyDown={(e) => e.key === 'Enter' && finishRename()}
                    />
                  ) : <span className="run-name">{r.name}</span>}
                </th>
                {settings.map((s) => <td key={s.key}>{s.value(r.config)}</td>)}
                {columns.map((c) => {
                  const v = row[c.key];
                  const isBest = best[c.key]?.has(r.id) === true;
                  return <td key={c.key} className={isBest ? 'best' : undefined} title={isBest ? 'best in this column' : undefined}>{c.format(v)}{isBest ? ' ★' : ''}</td>;
                })}
                <td><Status run={r} />{r.message ? <span className="field-error">{r.message}</span> : null}</td>
                <td className="row-actions">
                  {main && <button type="button" aria-label={`${main.label === 'Resume' && r.status === 'queued' ? 'Run' : main.label} ${r.name}`} onClick={main.act}>{main.label === 'Resume' && r.status === 'queued' ? 'Run' : main.label}</button>}
                  <details className="more">
                    <summary aria-label={`More actions for ${r.name}`}>⋯</summary>
                    <div className="more-menu">
                      <button type="button" onClick={() => onSolo(r.id)}>Show only this run</button>
                      {!running && r.status !== 'queued' && <button type="button" aria-label={`Re-run ${r.name}`} onClick={() => lab.shelf.rerun(r.id)}>Re-run</button>}
                      <button type="button" aria-label={`Rename ${r.name}`} onClick={() => setRenaming({ id: r.id, text: r.name })}>Rename</button>
                      {!running && <button type="button" aria-label={`Delete ${r.name}`} onClick={() => lab.shelf.remove(r.id)}>Delete</button>}
                    </div>
                  </details>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A run's status and step: the training run's straight from the store as it goes (only this cell
 * renders for it), the others as kept.
 */
function Status({ run }: { run: ShelfRun }) {
  const live = useLabState((s) => (s.run?.id === run.id && s.run.live ? `${keptStatus(s.run.state)} ${s.run.step}` : undefined));
  const [status, step] = live ? live.split(' ') : [run.status, String(run.step)];
  return <>{status}{status !== 'done' && run.targetSteps > 0 ? ` ${step}/${run.targetSteps}` : ''}</>;
}
