import { useState } from 'react';
import { draftFrom, type Draft } from './draft';
import { PRESETS } from './presets';

interface Props {
  onPick(draft: Draft): void;
}

/** Replaces the whole config with a shipped one. */
export function PresetPicker({ onPick }: Props) {
  const [choice, setChoice] = useState('');
  return (
    <div className="field field-select preset">
      <label htmlFor="field-preset">Preset</label>
      <select
        id="field-preset"
        value={choice}
        onChange={(e) => {
          const preset = PRESETS.find((p) => p.id === e.target.value);
          setChoice('');
          if (preset) onPick(draftFrom(preset.config));
        }}
      >
        <option value="">Load a preset…</option>
        {PRESETS.map((p) => <option key={p.id} value={p.id}>{p.label}</option>)}
      </select>
    </div>
  );
}
