import { useId, useState } from 'react';
import { numberOf } from '../config/draft';
import { useLab, useLabState } from '../lab/context';

/** Settings as typed; each is checked before Generate is enabled. */
interface Typed {
  tokens: string;
  temperature: string;
  topK: string;
  seed: string;
}

const wholeIn = (text: string, lo: number, hi: number) => {
  const v = numberOf(text);
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : undefined;
};

/** Each setting's value, or why it is not one. */
function read(t: Typed): { tokens?: number; temperature?: number; topK?: number | null; seed?: number; problems: string[] } {
  const tokens = wholeIn(t.tokens, 1, 2000);
  const temp = numberOf(t.temperature);
  const temperature = typeof temp === 'number' && temp >= 0 && temp <= 100 ? temp : undefined;
  const topK = t.topK.trim() === '' ? null : wholeIn(t.topK, 1, 1_000_000);
  const seed = wholeIn(t.seed, 0, 2 ** 32 - 1);
  const problems = [
    tokens === undefined ? 'length: a whole number from 1 to 2000' : '',
    temperature === undefined ? 'temperature: a number from 0 (greedy) to 100' : '',
    topK === undefined ? 'top-k: a whole number ≥ 1, or blank for all tokens' : '',
    seed === undefined ? 'seed: a whole number ≥ 0' : '',
  ].filter(Boolean);
  return { tokens, temperature, topK, seed, problems };
}

/**
 * The try-it panel of a text run: the model continues a prompt, with temperature (0: greedy),
 * top-k and a seed (the same seed gives the same text), the text streaming in as the worker
 * reads each chunk of tokens back.
 */
export function SamplerPanel() {
  const id = useId();
  const lab = useLab();
  const run = useLabState((s) => s.run);
  const sampling = useLabState((s) => s.sampling);
  const evals = run?.metrics.evals ?? [];
  const lastPrompt = evals.length ? evals[evals.length - 1]!.sample?.prompt : undefined;
  const [prompt, setPrompt] = useState('');
  const [typed, setTyped] = useState<Typed>({ tokens: '200', temperature: '0.8', topK: '', seed: '0' });
  const settings = read(typed);
  const mine = sampling && sampling.runId === run?.id ? sampling : undefined;
  const busy = mine !== undefined && !mine.done;
  const text = prompt || lastPrompt || '';
  const canRun = run?.live && !busy && text !== '' && settings.problems.length === 0;
  const set = (key: keyof Typed) => (e: { target: { value: string } }) => setTyped({ ...typed, [key]: e.target.value });
  const generate = () => {
    if (!canRun) return;
    lab.sample(text, { tokens: settings.tokens!, temperature: settings.temperature!, topK: settings.topK!, seed: settings.seed! });
  };
  const field = (key: keyof Typed, label: string, help?: string) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input id={`${id}-${key}`} type="text" inputMode="decimal" value={typed[key]} onChange={set(key)} placeholder={key === 'topK' ? 'all' : ''} title={help} />
    </div>
  );
  return (
    <section className="card tryit sampler" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Try it: sample from the model</h2>
      </div>
      <form className="tryit-form" onSubmit={(e) => { e.preventDefault(); generate(); }}>
        <div className="field sampler-prompt">
          <label htmlFor={`${id}-prompt`}>Prompt</label>
          <textarea id={`${id}-prompt`} data-testid="sampler-prompt" rows={2} value={prompt} placeholder={lastPrompt ?? 'Type the start of a text'} onChange={(e) => setPrompt(e.target.value)} />
        </div>
        {field('tokens', 'Length (tokens)')}
        {field('temperature', 'Temperature', '0 picks the most likely token every time')}
        {field('topK', 'Top-k', 'draw among the k most likely tokens; blank: all')}
        {field('seed', 'Seed', 'the same seed gives the same text')}
        <div className="controls">
          <button type="submit" className="primary" data-testid="sampler-run" disabled={!canRun}>Generate</button>
        </div>
      </form>
      {settings.problems.length > 0 && <p className="field-error" role="alert">{settings.problems.join('; ')}</p>}
      {!run?.live && <p className="note">This run has no live model: resume it, or import its weights.</p>}
      {mine?.error && <p className="field-error" role="alert">{mine.error}</p>}
      {mine && (
        <pre className="sample-text" data-testid="sampler-output" aria-busy={busy} aria-live="polite">
          <strong>{mine.prompt}</strong>{mine.text}{busy && <span className="note"> …</span>}
        </pre>
      )}
    </section>
  );
}
