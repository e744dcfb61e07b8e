"""Port of src/tasks/ (copy, reverse, sort, addition) and the batch layouts of batches.ts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple

from .rng import Rng

PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3

Config = Dict[str, Any]
Batch = Dict[str, List[List[int]]]


@dataclass(frozen=True)
class Example:
    input: Tuple[int, ...]
    answer: Tuple[int, ...]


# ---- copy, reverse, sort ---------------------------------------------------------------

def _sequence_sample(answer_of: Callable[[List[int]], List[int]]) -> Callable[[Config, Rng], Example]:
    def sample(cfg: Config, rng: Rng) -> Example:
        length = rng.int(cfg["minLength"], cfg["maxLength"])
        values = [rng.int(FIRST_SYMBOL, FIRST_SYMBOL + cfg["symbols"] - 1) for _ in range(length)]
        return Example(tuple(values), tuple(answer_of(values)))
    return sample


def _sequence_space(cfg: Config) -> int:
    return sum(cfg["symbols"] ** n for n in range(cfg["minLength"], cfg["maxLength"] + 1))


# ---- addition ---------------------------------------------------------------------------

PLUS = FIRST_SYMBOL + 10


def _operand(rng: Rng, max_digits: int) -> List[int]:
    count = rng.int(1, max_digits)
    # No leading zeros, but 0 itself is a one-digit operand.
    return [rng.int(1 if i == 0 and count > 1 else 0, 9) for i in range(count)]


def _add_digits(a: List[int], b: List[int]) -> List[int]:
    total = int("".join(map(str, a))) + int("".join(map(str, b)))
    return [int(d) for d in str(total)]


def _addition_sample(cfg: Config, rng: Rng) -> Example:
    a = _operand(rng, cfg["maxDigits"])
    b = _operand(rng, cfg["maxDigits"])
    digit = lambda d: FIRST_SYMBOL + d  # noqa: E731
    return Example(tuple([*map(digit, a), PLUS, *map(digit, b)]), tuple(map(digit, _add_digits(a, b))))


@dataclass(frozen=True)
class Task:
    sample: Callable[[Config, Rng], Example]
    vocab_size: Callable[[Config], int]
    example_space: Callable[[Config], int]
    longest: Callable[[Config], Tuple[int, int]]  # (input, answer)


_SEQUENCE = dict(vocab_size=lambda c: 3 + c["symbols"], example_space=_sequence_space,
                 longest=lambda c: (c["maxLength"], c["maxLength"]))

TASKS: Dict[str, Task] = {
    "copy": Task(sample=_sequence_sample(list), **_SEQUENCE),
    "reverse": Task(sample=_sequence_sample(lambda x: x[::-1]), **_SEQUENCE),
    "sort": Task(sample=_sequence_sample(sorted), **_SEQUENCE),
    "addition": Task(sample=_addition_sample, vocab_size=lambda c: 3 + 11,
                     example_space=lambda c: 10 ** (2 * c["maxDigits"]),
                     longest=lambda c: (2 * c["maxDigits"] + 1, c["maxDigits"] + 1)),
}


# ---- batch layouts ----------------------------------------------------------------------

def _pad_rows(rows: List[List[int]], length: int = -1) -> List[List[int]]:
    width = max([0, *map(len, rows)]) if length < 0 else length
    return [r + [PAD] * (width - len(r)) for r in rows]


def to_batch(examples: List[Example], layout: str) -> Batch:
    """The batch JSON of a layout, as the lab's `toBatch` (PAD right-padding per batch)."""
    src = [[*e.input, EOS] for e in examples]
    answer_eos = [[*e.answer, EOS] for e in examples]
    if layout == "encoder-decoder":
        return {"src": _pad_rows(src), "tgtIn": _pad_rows([[BOS, *e.answer] for e in examples]),
                "tgtOut": _pad_rows(answer_eos)}
    if layout == "decoder-only":
        return {"tgtIn": _pad_rows([[BOS, *e.input, EOS, *e.answer] for e in examples]),
                "tgtOut": _pad_rows([[PAD] * (len(e.input) + 1) + [*e.answer, EOS] for e in examples])}
    for row, e in enumerate(examples):
        if len(e.answer) > len(e.input):
            raise ValueError(f"an encoder-only model answers position by position, but row {row}'s answer "
                             f"({len(e.answer)} tokens) is longer than its input ({len(e.input)})")
    padded = _pad_rows(src)
    return {"src": padded, "tgtOut": _pad_rows(answer_eos, len(padded[0]) if padded else 0)}


def sequence_length(task: Config, layout: str) -> int:
    """The longest row a batch of this task can have in this layout."""
    inp, ans = TASKS[task["name"]].longest(task)
    if layout == "encoder-decoder":
        return max(inp, ans) + 1
    if layout == "decoder-only":
        return inp + ans + 2
    return inp + 1
