"""Strict base64 of little-endian float32, with the lab's messages (src/engine/weights/base64.ts)."""
from __future__ import annotations

import base64
import json
import struct

import torch
from torch import Tensor

ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


class Base64Error(ValueError):
    pass


def _describe(text: str, i: int) -> str:
    c = ord(text[i])
    shown = json.dumps(text[i]) if 0x21 <= c < 0x7F else f"U+{c:04X}"
    return f"character {shown} at position {i}"


def decode_bytes(text: str) -> bytes:
    """Padded base64 to bytes: length a multiple of 4, the standard alphabet only, `=` only at the end."""
    n = len(text)
    if n % 4 != 0:
        raise Base64Error(f"invalid base64: length {n} is not a multiple of 4 "
                          "(base64 text is written in padded groups of 4 characters)")
    pad = 0
    if n > 0 and text[-1] == "=":
        pad = 2 if text[-2] == "=" else 1
    for i in range(n - pad):
        if text[i] not in ALPHABET:
            if text[i] == "=":
                raise Base64Error(f'invalid base64: padding "=" at position {i} is not at the end of the text')
            raise Base64Error(f"invalid base64: {_describe(text, i)} is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)")
    return base64.b64decode(text)


def decode_float32(text: str) -> Tensor:
    """A flat float32 tensor (little-endian bytes; the host is assumed little-endian, as x86 and ARM are)."""
    raw = decode_bytes(text)
    if len(raw) % 4 != 0:
        raise Base64Error(f"invalid float32 data: decodes to {len(raw)} bytes, which is not a multiple of 4")
    if not raw:
        return torch.zeros(0)
    return torch.frombuffer(bytearray(raw), dtype=torch.float32)


def encode_float32(t: Tensor) -> str:
    values = t.detach().float().contiguous().reshape(-1).cpu().tolist()
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")
