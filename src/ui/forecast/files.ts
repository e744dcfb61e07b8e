/**
 * The CSV files dropped on this page, by name: a forecast config's `csv` names one of them. The
 * page validates configs against them and sends them with Start; the shipped series are bundled.
 */
import { pageSeries } from '../../worker/series';

export const droppedFiles = new Map<string, string>();

/** Where the page's configs read their series: the dropped files, then the shipped ones. */
export const uiSeries = pageSeries(droppedFiles);

/** The dropped files a raw config needs (its task's `csv`), to send along with it. */
export function filesFor(config: unknown): Record<string, string> | undefined {
  const csv = (config as { task?: { csv?: unknown } } | undefined)?.task?.csv;
  const text = typeof csv === 'string' ? droppedFiles.get(csv) : undefined;
  return text === undefined ? undefined : { [csv as string]: text };
}
