import type { ReactNode } from 'react';
import type { Draft, Validation } from './draft';
import { Field } from './Field';
import type { FieldSpec } from './fields';

interface Props {
  title: string;
  fields: readonly FieldSpec[];
  draft: Draft;
  validation: Validation;
  onChange(path: string, value: string | boolean): void;
  /** Drawn before the fields (a chooser, a note). */
  children?: ReactNode;
}

/** A titled group of fields. */
export function Section({ title, fields, draft, validation, onChange, children }: Props) {
  return (
    <fieldset className="section">
      <legend>{title}</legend>
      {children}
      <div className="fields">
        {fields.map((spec) => (
          <Field key={spec.path} spec={spec} value={draft[spec.path]} errors={validation.byField.get(spec.path)} onChange={onChange} />
        ))}
      </div>
    </fieldset>
  );
}
