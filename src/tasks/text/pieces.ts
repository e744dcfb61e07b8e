/**
 * The pre-tokenizer of the bpe tokenizer: the text is cut into pieces, and merges never cross a
 * piece's edge (GPT-2's idea, simplified). A piece is one of
 * - an optional U+0020 space followed by a run of letters (Unicode L and M), of digits (N), or of
 *   other non-space characters;
 * - a run of whitespace (space, tab, newline, carriage return, form feed, vertical tab), less its
 *   last character when a run of two or more is followed by a non-space character (that last
 *   space then starts the next piece).
 * Only ASCII whitespace counts as space, so that labtorch (tools/pytorch/labtorch/text.py)
 * cuts every text the same way with Python's unicodedata. The pieces joined give the text back.
 */
const WS = ' \\t\\n\\r\\f\\v';
const PIECE = new RegExp(` ?[\\p{L}\\p{M}]+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{M}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`, 'gu');

/** Each piece of `text` with how often it occurs, in order of first occurrence. */
export function countPieces(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(PIECE)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  return counts;
}

/** The pieces of `text`, in order. */
export function* pieces(text: string): Generator<string> {
  for (const m of text.matchAll(PIECE)) yield m[0];
}
