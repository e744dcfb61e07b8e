"""Rejected input, reported as the lab reports it: one `path: message` line per problem."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import List, NoReturn


@dataclass(frozen=True)
class FieldIssue:
    path: str
    message: str

    def line(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class LabInputError(Exception):
    """The Python side of the engine's ConfigError: every issue names its field."""

    def __init__(self, issues: List[FieldIssue]) -> None:
        super().__init__("\n".join(i.line() for i in issues))
        self.issues = issues


def field_error(path: str, message: str) -> LabInputError:
    return LabInputError([FieldIssue(path, message)])


def exit_with(error: LabInputError) -> NoReturn:
    """Prints `error: path: message` for every issue and exits with status 2, as the lab's CLI does."""
    for issue in error.issues:
        sys.stderr.write(f"error: {issue.line()}\n")
    sys.exit(2)
