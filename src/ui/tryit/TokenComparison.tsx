export interface TokenComparisonProps {
  /** The model's answer before EOS; null when it produced no EOS. */
  output: number[] | null;
  /** Everything the model generated, shown when there is no EOS. */
  generated: number[];
  expected: number[];
  tokenNames: readonly string[];
}

/**
 * The model's answer above the expected one, aligned by position, each output token marked
 * right or wrong; a missing or extra token counts as wrong.
 */
export function TokenComparison({ output, generated, expected, tokenNames }: TokenComparisonProps) {
  const name = (t: number) => tokenNames[t] ?? `<${t}>`;
  const shown = output ?? generated;
  const exact = output !== null && output.length === expected.length && output.every((t, i) => t === expected[i]);
  const width = Math.max(shown.length, expected.length);
  return (
    <div className="tryit-comparison">
      <span className={`badge ${exact ? 'ok' : 'bad'}`} data-testid="tryit-verdict">
        {exact ? 'exact match' : 'mismatch'}
      </span>
      <table className="tryit-tokens">
        <tbody>
          <tr data-testid="tryit-output">
            <th scope="row">Model</th>
            {Array.from({ length: width }, (_, i) => {
              const t = shown[i];
              const right = t !== undefined && t === expected[i];
              return (
                <td key={i} className={right ? 'ok' : 'bad'} aria-label={t === undefined ? 'missing' : `${name(t)} ${right ? 'right' : 'wrong'}`}>
                  {t === undefined ? '·' : name(t)}
                  <span className="tryit-mark" aria-hidden="true">{right ? '✓' : '✗'}</span>
                </td>
              );
            })}
          </tr>
          <tr data-testid="tryit-expected">
            <th scope="row">Expected</th>
            {Array.from({ length: width }, (_, i) => (
              <td key={i}>{expected[i] === undefined ? '' : name(expected[i]!)}</td>
            ))}
          </tr>
        </tbody>
      </table>
      {output === null && <p className="note">No end-of-sequence token within {generated.length} tokens: all of them are shown.</p>}
    </div>
  );
}
