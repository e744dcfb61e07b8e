import { useState } from 'react';
import { useLab, useLabState } from '../lab/context';

/**
 * After a reload the main page shows the last run again; when it was left unfinished and a
 * checkpoint was saved, this offers to go on from there.
 */
export function ResumeBanner() {
  const lab = useLab();
  const run = useLabState((s) => (s.run?.restored ? s.run : undefined));
  const [dismissed, setDismissed] = useState<string>();
  const restored = run?.restored;
  if (!run || !restored || restored.checkpointStep === undefined || dismissed === run.id) return null;
  const at = restored.checkpointStep;
  return (
    <div className="banner banner-resume" role="region" aria-label="Resume the last run">
      <div className="banner-body">
        <strong>“{restored.name}” was {restored.status} at step {run.step} of {run.targetSteps}.</strong>
        <p>
          Its charts are back as they were. The last checkpoint is from step {at}
          {at < run.step ? `: the steps after it are trained again (the same data, so the same curve)` : ''}.
        </p>
      </div>
      <div className="banner-actions">
        <button type="button" className="primary" onClick={() => lab.shelf.resume(run.id)}>Resume from step {at}</button>
        <button type="button" className="quiet" onClick={() => setDismissed(run.id)}>Dismiss</button>
      </div>
    </div>
  );
}
