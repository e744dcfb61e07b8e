/**
 * Where a text task's text comes from, and the texts this process has loaded. A config names its
 * text (`corpus` or `file`); checking it needs the text's character set and length, which the
 * shipped corpora declare (corpora.ts) and every other text brings when it is loaded: the command
 * line reads the file, the page's worker decodes a dropped file (and tells the page its facts).
 * Each is kept here by its source key for the life of the process.
 */
import { ConfigError } from '../../engine/validation';
import { corpusInfo } from './corpora';
import { charactersOf } from './tokenizer';

/** The part of a text task config that names the text. */
export interface TextSource {
  file?: string;
  corpus?: string;
}

/** What checking a config needs to know about a text. */
export interface TextFacts {
  /** Every character, by code point. */
  characters: string[];
  /** Length in characters (code points). */
  length: number;
}

/** The config field that names the text: `task.corpus` or `task.file`. */
export const sourceField = (s: TextSource) => (s.corpus !== undefined ? 'task.corpus' : 'task.file');

/** One key per text: `corpus:NAME` or `file:PATH`. */
export const sourceKey = (s: TextSource) => (s.corpus !== undefined ? `corpus:${s.corpus}` : `file:${s.file ?? ''}`);

const texts = new Map<string, { facts: TextFacts; text?: string }>();

export function factsOf(text: string): TextFacts {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) length++;
  }
  return { characters: charactersOf(text), length };
}

/** Keeps a loaded text under its source; returns its facts. */
export function addText(source: TextSource, text: string): TextFacts {
  const facts = factsOf(text);
  texts.set(sourceKey(source), { facts, text });
  return facts;
}

/** Keeps only the facts of a text loaded elsewhere (the page: its worker holds the text). */
export function addTextFacts(source: TextSource, facts: TextFacts): void {
  texts.set(sourceKey(source), { facts });
}

/** The facts of a source: a shipped corpus's, or those of a text loaded here; undefined when unknown. */
export function textFacts(source: TextSource): TextFacts | undefined {
  const kept = texts.get(sourceKey(source));
  if (kept) return kept.facts;
  const corpus = source.corpus !== undefined ? corpusInfo(source.corpus) : undefined;
  return corpus && { characters: [...corpus.characters], length: corpus.length };
}

/** The text of a source, if this process has loaded it. */
export function loadedText(source: TextSource): string | undefined {
  return texts.get(sourceKey(source))?.text;
}

/** The loaded text of a source, or a ConfigError naming its field. */
export function requireText(source: TextSource): string {
  const text = loadedText(source);
  if (text === undefined) {
    throw new ConfigError([{ path: sourceField(source), message: `the text ${JSON.stringify(source.corpus ?? source.file)} is not loaded` }]);
  }
  return text;
}

/** Offset of the first byte that breaks UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    const c1 = bytes[i + 1] ?? 0;
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 > 0x9f) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 > 0x8f)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * A file's bytes as text: UTF-8 (a leading byte-order mark dropped), not empty, and no NUL
 * character (a binary file). Problems are ConfigErrors naming `field`.
 */
export function decodeText(bytes: Uint8Array, field: string): string {
  const fail = (message: string) => new ConfigError([{ path: field, message }]);
  if (bytes.length === 0) throw fail('the text is empty (0 bytes)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw fail(`is not UTF-8 text: byte 0x${bytes[at]?.toString(16).toUpperCase().padStart(2, '0')} at offset ${at} is not valid UTF-8 (save the file as UTF-8)`);
  }
  if (text.length === 0) throw fail('the text is empty (only a byte-order mark)');
  const nul = text.indexOf('\0');
  if (nul >= 0) throw fail(`has a NUL character at offset ${nul}: this looks like a binary file, not text`);
  return text;
}
