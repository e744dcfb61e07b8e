import { useId, useMemo, useState } from 'react';
import type { Inspection } from '../../engine/eval/inspect';
import { taskVocabulary, type ExampleTaskConfig } from '../../tasks/registry';
import { formatTokens, parseTaskInput, sampleInput } from '../../tasks/tryInput';
import { AttentionView } from './AttentionView';
import { TokenComparison } from './TokenComparison';

/** An inspection of the trained model with the task's answer beside it. */
export type TryItResult = Inspection & { expected: number[] };

export interface TryItPanelProps {
  task: ExampleTaskConfig;
  /** A run is in flight: Run waits. */
  busy: boolean;
  result?: TryItResult;
  /** Why the last run failed, shown as is. */
  error?: string;
  /** Called with the input's token ids (without EOS) when Run is pressed on valid text. */
  onRun(tokens: number[]): void;
}

/**
 * Type or draw an input for the task, run the model on it, and see its greedy answer beside
 * the expected one and the attention behind it. Holds only the text and the random seed; the
 * caller runs the model and hands the result back.
 */
export function TryItPanel({ task, busy, result, error, onRun }: TryItPanelProps) {
  const id = useId();
  const [text, setText] = useState('');
  const [seed, setSeed] = useState(1);
  const parsed = useMemo(() => parseTaskInput(task, text), [task, text]);
  const tokenNames = useMemo(() => taskVocabulary(task).tokens, [task]);
  const invalid = 'error' in parsed ? parsed.error : undefined;
  // An empty box is not a mistake worth a message (and a message appearing on blur would move the
  // buttons under the pointer): Run is simply disabled until there is text.
  const showInvalid = invalid !== undefined && text !== '';

  const randomExample = () => {
    setText(formatTokens(task, sampleInput(task, seed)));
    setSeed(seed + 1);
  };
  const run = () => {
    if ('tokens' in parsed) onRun(parsed.tokens);
  };

  return (
    <section className="card tryit" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Try it</h2>
      </div>
      <form
        className="tryit-form"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <div className={`field${showInvalid ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-input`}>Input</label>
          <input
            id={`${id}-input`}
            type="text"
            data-testid="tryit-input"
            value={text}
            autoComplete="off"
            spellCheck={false}
            placeholder={task.name === 'addition' ? 'e.g. 12+345' : 'e.g. abc'}
            aria-invalid={showInvalid || undefined}
            aria-describedby={showInvalid ? `${id}-error` : undefined}
            onChange={(e) => setText(e.target.value)}
          />
          {showInvalid && (
            <p id={`${id}-error`} className="field-error" role="alert">
              {invalid}
            </p>
          )}
        </div>
        <div className="controls">
          <button type="submit" className="primary" data-testid="tryit-run" disabled={busy || invalid !== undefined}>
            Run
          </button>
          <button type="button" onClick={randomExample}>
            Random example
          </button>
        </div>
      </form>
      {error && <p className="field-error" role="alert">{error}</p>}
      {result && (
        <div className="tryit-result" aria-busy={busy}>
          <p className="note">
            Input <strong>{formatTokens(task, result.input)}</strong>
          </p>
          <TokenComparison output={result.output} generated={result.generated} expected={result.expected} tokenNames={tokenNames} />
          <AttentionView maps={result.maps} tokenNames={tokenNames} />
        </div>
      )}
    </section>
  );
}
