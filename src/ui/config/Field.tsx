import { memo } from 'react';
import type { FieldSpec } from './fields';

export const fieldId = (path: string) => `field-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;

interface Props {
  spec: FieldSpec;
  value: string | boolean | undefined;
  errors?: readonly string[];
  disabled?: boolean;
  onChange(path: string, value: string | boolean): void;
}

/** One config field: a label, the input, its help, and the engine's messages right under it. */
export const Field = memo(function Field({ spec, value, errors, disabled, onChange }: Props) {
  const id = fieldId(spec.path);
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const invalid = Boolean(errors?.length);
  const described = [invalid ? errorId : '', spec.help ? helpId : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, disabled, 'aria-invalid': invalid || undefined, 'aria-describedby': described };
  let input;
  if (spec.kind === 'boolean') {
    input = <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(spec.path, e.target.checked)} />;
  } else if (spec.kind === 'select') {
    input = (
      <select {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(spec.path, e.target.value)}>
        {spec.options?.map((o) => <option key={o} value={o}>{spec.optionLabels?.[o] ?? o}</option>)}
      </select>
    );
  } else {
    input = (
      <input
        {...common}
        type="text"
        inputMode={spec.integer ? 'numeric' : 'decimal'}
        autoComplete="off"
        spellCheck={false}
        placeholder={spec.placeholder ?? (spec.kind === 'pair' ? 'a, b' : '')}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(spec.path, e.target.value)}
      />
    );
  }
  return (
    <div className={`field field-${spec.kind}${invalid ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{spec.label}</label>
      {input}
      {spec.help && <small id={helpId} className="field-help">{spec.help}</small>}
      {invalid && (
        <div id={errorId} className="field-error">
          {errors!.map((m) => <span key={m}>{m}</span>)}
        </div>
      )}
    </div>
  );
});
