import { useLabState } from '../lab/context';
import { integer } from '../lab/format';

/** While a text run's bpe merges are learned (before its first step): how far along. */
export function TokenizingProgress() {
  const t = useLabState((s) => s.tokenizing);
  if (!t) return null;
  return (
    <div className="progress tokenizing">
      <div className="bar" role="progressbar" aria-label="Learning the tokenizer" aria-valuemin={0} aria-valuemax={t.total} aria-valuenow={t.done}>
        <div className="fill" style={{ width: `${Math.min(100, (100 * t.done) / Math.max(1, t.total))}%` }} />
      </div>
      <div className="progress-text"><span>learning the tokenizer: {integer(t.done)} of {integer(t.total)} merges</span></div>
    </div>
  );
}
