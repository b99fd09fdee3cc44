"""The values every rule produces: diagnostics, their locations and their fixes."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any


class Severity(str, Enum):
    """How bad a finding is. Only errors make `ftlint check` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(IntEnum):
    """How safe a fix is to apply without review (ruff's scale)."""

    DISPLAY_ONLY = 0  # shown as a suggestion, never applied
    UNSAFE = 1  # changes content or size: applied only with --unsafe-fixes
    SAFE = 2  # keeps the training signal: applied by --fix

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


class _PickledAsCall:
    """Pickled as a call of the class on its fields: unpickles about twice as fast as a frozen
    dataclass's default (one setattr per field), which counts when parallel workers send back
    thousands of diagnostics."""

    __slots__ = ()

    def __reduce__(self) -> tuple:
        return type(self), tuple(map(self.__getattribute__, self.__match_args__))


@dataclass(frozen=True, slots=True)
class Location(_PickledAsCall):
    """Where a finding is: 1-based line and column (in characters), JSON pointer into the record."""

    path: str
    line: int
    column: int = 1
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Edit(_PickledAsCall):
    """One change to one line of a file.

    op is one of:
      - "set": set the JSON value at `pointer` (e.g. "/prompt") of the record to `value`;
      - "drop": remove the record; it is written aside to `<name>.removed.jsonl`;
      - "replace-line": replace the raw line, or the `span` lines from `line` on, by the lines in
        `value` (a tuple of bytes, without newlines); an empty tuple deletes them (and what they
        held beyond whitespace is written aside).
    """

    line: int
    op: str
    pointer: str = ""
    value: Any = None
    span: int = 1


@dataclass(frozen=True, slots=True)
class Fix(_PickledAsCall):
    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class Diagnostic(_PickledAsCall):
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    fix: Fix | None = None
    related: tuple[Location, ...] = field(default=())

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code)
