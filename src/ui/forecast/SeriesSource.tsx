import { useState } from 'react';
import { datasetNamed } from '../../tasks/forecast/datasets';
import type { Draft } from '../config/draft';
import { useLab } from '../lab/context';
import { droppedFiles } from './files';

interface Props {
  draft: Draft;
  onChange(path: string, value: string): void;
}

/**
 * The forecast's series: a note on the shipped one, or a drop zone (and file picker) for a CSV.
 * A dropped file's text stays in the page (droppedFiles) and is kept across reloads; the config
 * names it by `task.csv`.
 */
export function SeriesSource({ draft, onChange }: Props) {
  const lab = useLab();
  const [over, setOver] = useState(false);
  const [reading, setReading] = useState<string | undefined>();
  const source = draft['task.source'];
  const csv = typeof draft['task.csv'] === 'string' ? draft['task.csv'] : '';
  const take = async (file: File | undefined) => {
    if (!file) return;
    setReading(file.name);
    const text = await file.text();
    lab.addCsv(file.name, text);
    setReading(undefined);
    onChange('task.csv', file.name);
  };
  if (source !== 'csv') {
    const d = datasetNamed(String(draft['task.dataset']));
    return d ? <p className="note" data-testid="series-note">{d.description} Source: {d.source}; {d.license}.</p> : null;
  }
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="csv-dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        void take(e.dataTransfer.files[0]);
      }}
    >
      <label htmlFor="csv-file">Drop a CSV here, or choose one</label>
      <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(e) => void take(e.target.files?.[0])} />
      <small className="field-help">
        {reading ? `reading ${reading}…` : csv && droppedFiles.has(csv) ? `${csv}: ${droppedFiles.get(csv)!.split('\n').length - 1} rows under its header` : 'a header row of column names, then one row per time step, oldest first'}
      </small>
    </div>
  );
}
