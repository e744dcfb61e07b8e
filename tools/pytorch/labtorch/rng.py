"""Port of src/tasks/rng.ts: the lab's seeded generator, draw for draw.

JavaScript's 32-bit integer arithmetic (`Math.imul`, `>>>`) is reproduced with masks, and the
53-bit float is built from two 32-bit draws exactly as the lab builds it.
"""
from __future__ import annotations

from typing import Union

MASK32 = 0xFFFFFFFF
GOLDEN = 0x9E3779B9


def _imul(a: int, b: int) -> int:
    return (a * b) & MASK32


def mix32(x: int) -> int:
    """A bijective 32-bit avalanche (multiply-xorshift rounds), as the lab's `mix32`."""
    x &= MASK32
    x = _imul(x ^ (x >> 16), 0x7FEB352D)
    x = _imul(x ^ (x >> 15), 0x846CA68B)
    return (x ^ (x >> 16)) & MASK32


def _js_string(part: Union[str, int]) -> str:
    # The lab folds `String(part)`; seeds and labels are integers or ASCII strings here.
    return part if isinstance(part, str) else str(int(part))


def hash_seed(*parts: Union[str, int]) -> int:
    """Folds parts into one 32-bit seed; each part is tagged with its type and length."""
    h = 0x811C9DC5
    for part in parts:
        text = _js_string(part)
        tag = "s" if isinstance(part, str) else "n"
        tagged = f"{tag}{len(text)}:{text}"
        for ch in tagged:
            h = _imul(h ^ ord(ch), 0x01000193)
        h = mix32(h)
    return h


class Rng:
    """A Weyl counter through `mix32`, as `createRng` in the lab."""

    def __init__(self, seed: int) -> None:
        self._root = hash_seed(seed)
        self._state = self._root

    def _u32(self) -> int:
        self._state = (self._state + GOLDEN) & MASK32
        return mix32(self._state)

    def next(self) -> float:
        """Uniform in [0, 1) with 53 bits, from two draws (high 27 bits, then low 26)."""
        high = self._u32() >> 5
        low = self._u32() >> 6
        return (high * 67108864 + low) / 9007199254740992

    def int(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi], both inclusive."""
        if lo > hi:
            raise ValueError(f"rng.int needs integers lo <= hi (got {lo}, {hi})")
        return lo + int(self.next() * (hi - lo + 1))

    def fork(self, label: Union[str, int]) -> "Rng":
        """A stream that depends on this generator's seed and `label` only."""
        return Rng(hash_seed(self._root, label))
