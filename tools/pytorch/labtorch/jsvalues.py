"""How the lab's messages render JSON values (`String(x)`, `JSON.stringify`), in Python."""
from __future__ import annotations

import json
import math
from typing import Any

# Python's json module hands these back for a missing key, mirroring JavaScript's `undefined`.
MISSING = object()


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_integer(v: Any) -> bool:
    """`Number.isInteger`: 3 and 3.0 alike."""
    return is_number(v) and math.isfinite(v) and float(v).is_integer()


def js_number(x: float) -> str:
    """`String(x)` for a JavaScript number."""
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) < 10 ** 21:
        return str(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if float(x).is_integer() and abs(x) < 1e21:
        return str(int(x))
    text = repr(float(x))
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{int(exponent.lstrip('+-'))}"
    return text


def js_json(v: Any) -> str:
    """`JSON.stringify(v)`, compact, numbers as JavaScript writes them."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_number(v):
        return js_number(v) if math.isfinite(v) else "null"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(js_json(x) for x in v) + "]"
    return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{js_json(x)}" for k, x in v.items()) + "}"


def clip(text: str) -> str:
    return text[:37] + "..." if len(text) > 40 else text


def show(v: Any) -> str:
    """The weights reader's rendering of a value in a message (format.ts `show`)."""
    if v is MISSING:
        return "nothing"
    if is_number(v):
        return js_number(v)
    if isinstance(v, list):
        return f"an array of {len(v)} items" if len(v) > 8 else clip(js_json(v))
    if isinstance(v, dict):
        return "an object"
    return clip(js_json(v))


def show_input(v: Any) -> str:
    """The config validator's rendering (validation.ts `show`)."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if v is MISSING:
        return "nothing"
    return clip(js_json(v))
