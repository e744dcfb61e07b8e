#!/usr/bin/env python3
"""An independent, deliberately naive byte-pair learner for tests/tasks/text/tokenizer.test.ts.

Reads {"text": ..., "train": ..., "vocabSize": ...} on stdin and prints {"chars": [...], "merges":
[[a, b], ...]} as the reference README's text task describes them: every character of the text
by code point (ids from 3), merges learned on the training part, each round the most frequent
adjacent pair over every piece (ties: the smaller left id, then right id), merged left to right,
until vocabSize ids or no pair occurs twice. Pairs are recounted from scratch every round.
"""
import json
import sys
import unicodedata
from collections import Counter

WS = set(" \t\n\r\f\v")


def kind(c):
    if c in WS:
        return "space"
    cat = unicodedata.category(c)
    return "letter" if cat[0] in "LM" else "number" if cat[0] == "N" else "other"


def pieces(text):
    """The pre-tokenizer, written out as a scanner rather than a regular expression."""
    out, i, n = [], 0, len(text)
    while i < n:
        start = i
        if text[i] == " " and i + 1 < n and kind(text[i + 1]) != "space":
            i += 1
        k = kind(text[i])
        j = i + 1
        while j < n and kind(text[j]) == k:
            j += 1
        if k == "space" and j < n and j - i > 1:
            j -= 1
        out.append(text[start:j])
        i = j
    return out


def merge(ids, a, b, new):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def main():
    job = json.load(sys.stdin)
    chars = sorted(set(job["text"]))
    cid = {c: 3 + i for i, c in enumerate(chars)}
    assert "".join(pieces(job["train"])) == job["train"]
    words = Counter(pieces(job["train"]))
    seqs = [([cid[c] for c in w], f) for w, f in words.items()]
    merges = []
    while 3 + len(chars) + len(merges) < job["vocabSize"]:
        counts = Counter()
        for ids, f in seqs:
            for x, y in zip(ids, ids[1:]):
                counts[(x, y)] += f
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        if counts[pair] < 2:
            break
        new = 3 + len(chars) + len(merges)
        merges.append(list(pair))
        seqs = [(merge(ids, pair[0], pair[1], new), f) for ids, f in seqs]
    json.dump({"chars": chars, "merges": merges}, sys.stdout)


main()
