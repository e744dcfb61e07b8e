import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

/** What the charts' x axis counts: optimizer steps, training time, or tokens seen. */
export type XAxisKind = 'step' | 'time' | 'tokens';

export const X_AXIS_LABELS: Record<XAxisKind, string> = { step: 'step', time: 'training time (s)', tokens: 'tokens seen' };

interface ChartSettings {
  xAxis: XAxisKind;
  setXAxis(x: XAxisKind): void;
}

const Settings = createContext<ChartSettings>({ xAxis: 'step', setXAxis: () => {} });

/** One x axis for every chart on the page, the run's and the comparison's alike. */
export function ChartSettingsProvider({ children }: { children: ReactNode }) {
  const [xAxis, setXAxis] = useState<XAxisKind>('step');
  const value = useMemo(() => ({ xAxis, setXAxis }), [xAxis]);
  return <Settings value={value}>{children}</Settings>;
}

export const useChartSettings = () => useContext(Settings);

/** The x axis picker shown above each group of charts. */
export function XAxisPicker({ id }: { id: string }) {
  const { xAxis, setXAxis } = useChartSettings();
  return (
    <span className="inline x-axis-picker">
      <label htmlFor={id}>X axis</label>
      <select id={id} value={xAxis} onChange={(e) => setXAxis(e.target.value as XAxisKind)}>
        {(Object.keys(X_AXIS_LABELS) as XAxisKind[]).map((k) => <option key={k} value={k}>{X_AXIS_LABELS[k]}</option>)}
      </select>
    </span>
  );
}
