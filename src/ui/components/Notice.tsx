import { useLabState } from '../lab/context';

/** Quiet confirmations (imported, exported), read out by screen readers. */
export function Notice() {
  const notice = useLabState((s) => s.notice);
  return <p className="notice" role="status" aria-live="polite">{notice ?? ''}</p>;
}
