"""A small validator that reports problems in the words of the lab's zod schemas
(src/engine/validation.ts), so a file refused here is refused with the lab's own lines.

As in zod, a wrong type, a non-integer, an unknown choice or a failed union stops checks that
depend on the value ("aborting"); a bound or an unknown key does not, and an object's cross-field
rule runs only when nothing under it aborted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .errors import FieldIssue
from .jsvalues import MISSING, is_integer, is_number, js_number, show_input

MAX_SAFE_INTEGER = 2 ** 53 - 1


@dataclass
class Report:
    issues: List[FieldIssue] = field(default_factory=list)
    aborted: bool = False

    def add(self, path: str, message: str, aborting: bool = False) -> None:
        self.issues.append(FieldIssue(path, message))
        self.aborted = self.aborted or aborting


Check = Callable[[Any, str, Report], Any]


def _got(v: Any) -> str:
    return f" (got {show_input(v)})"


def _type_issue(v: Any, path: str, expected: str, report: Report) -> None:
    report.add(path, f"is required ({expected})" if v is MISSING else f"must be {expected}{_got(v)}", aborting=True)


def number(lo: Optional[float] = None, hi: Optional[float] = None, *, integer: bool = False,
           lo_open: bool = False, hi_open: bool = False) -> Check:
    """z.number() with .int(), .min/.gt and .max/.lt."""
    def check(v: Any, path: str, report: Report) -> Any:
        if not is_number(v) or not math.isfinite(v):
            _type_issue(v, path, "number", report)
            return v
        if integer and not is_integer(v):
            report.add(path, f"must be an integer{_got(v)}", aborting=True)
            return v
        if lo is not None and (v <= lo if lo_open else v < lo):
            report.add(path, f"must be {'>' if lo_open else '≥'} {js_number(lo)}{_got(v)}")
        if hi is not None and (v >= hi if hi_open else v > hi):
            report.add(path, f"must be {'<' if hi_open else '≤'} {js_number(hi)}{_got(v)}")
        return int(v) if integer else v
    return check


def integer(lo: int, hi: int = MAX_SAFE_INTEGER) -> Check:
    return number(lo, hi, integer=True)


def boolean(v: Any, path: str, report: Report) -> Any:
    if not isinstance(v, bool):
        _type_issue(v, path, "boolean", report)
    return v


def choice(*values: str) -> Check:
    def check(v: Any, path: str, report: Report) -> Any:
        if v not in values or not isinstance(v, str):
            listed = ", ".join(f'"{x}"' for x in values)
            report.add(path, f"must be one of {listed}{_got(v)}", aborting=True)
        return v
    return check


def pair(item: Check) -> Check:
    """z.tuple([item, item])."""
    def check(v: Any, path: str, report: Report) -> Any:
        if not isinstance(v, list):
            _type_issue(v, path, "tuple", report)
            return v
        if len(v) != 2:
            report.add(path, f"must be {'≥' if len(v) < 2 else '≤'} 2{_got(v)}", aborting=True)
            return v
        return [item(x, f"{path}.{i}", report) for i, x in enumerate(v)]
    return check


def nullable(inner: Check) -> Check:
    return lambda v, path, report: None if v is None else inner(v, path, report)


def literal_or_int(names: Sequence[str], lo: int, hi: int) -> Check:
    """z.union([z.enum(names), int(lo, hi)]): integers get the integer's bounds, anything else one line."""
    bounded = integer(lo, hi)

    def check(v: Any, path: str, report: Report) -> Any:
        if isinstance(v, str) and v in names:
            return v
        if is_integer(v):
            return bounded(v, path, report)
        report.add(path, f"is not a valid choice{_got(v)}", aborting=True)
        return v
    return check


# A field: (name, check, default). REQUIRED marks no default; OPTIONAL, absent stays absent.
REQUIRED = object()
OPTIONAL = object()
Field = Tuple[str, Check, Any]


def obj(fields: Sequence[Field], refine: Optional[Callable[[Dict[str, Any], Report], None]] = None) -> Check:
    """A strict z.object with defaults; `refine` sees the filled values when nothing aborted."""
    def check(v: Any, path: str, report: Report) -> Any:
        if not isinstance(v, dict):
            _type_issue(v, path, "object", report)
            return v
        inner = Report()
        out: Dict[str, Any] = {}
        for name, field_check, default in fields:
            raw = v.get(name, MISSING)
            if raw is MISSING and default is OPTIONAL:
                continue
            if raw is MISSING and default is not REQUIRED:
                raw = default() if callable(default) else default
                out[name] = field_check(raw, f"{path}.{name}", Report())
                continue
            out[name] = field_check(raw, f"{path}.{name}", inner)
        unknown = [k for k in v if k not in {f[0] for f in fields}]
        if unknown:
            keys = ", ".join(f'"{k}"' for k in unknown)
            inner.add(path, f"unknown field{'s' if len(unknown) > 1 else ''} {keys}")
        if refine is not None and not inner.aborted:
            refine(out, inner)
        report.issues.extend(inner.issues)
        report.aborted = report.aborted or inner.aborted
        return out
    return check


def tagged(variants: Dict[str, Check]) -> Check:
    """z.discriminatedUnion('name', ...): an unknown name is one line about the whole object."""
    def check(v: Any, path: str, report: Report) -> Any:
        if not isinstance(v, dict):
            _type_issue(v, path, "object", report)
            return v
        variant = variants.get(v.get("name")) if isinstance(v.get("name"), str) else None
        if variant is None:
            report.add(f"{path}.name", f"is not a valid choice{_got(v)}", aborting=True)
            return v
        return variant(v, path, report)
    return check


def literal(value: str) -> Check:
    return choice(value)
