"""The values every rule produces: diagnostics, their locations and their fixes."""
from __future__ import annotations

from enum import Enum, IntEnum
from typing import Any, NamedTuple


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


class Location(NamedTuple):
    """Where a finding is: 1-based line and column (in characters), JSON pointer into the record."""

    path: str
    line: int
    column: int = 1
    pointer: str = ""


class Edit(NamedTuple):
    """One change to one line of a file.

    op is one of:
      - "set": set the JSON value at `pointer` (e.g. "/prompt") of the record to `value`;
      - "drop": remove the record; it is written aside to `<name>.removed.jsonl`;
      - "replace-line": replace the raw line, or the `span` lines from `line` on, by the lines in
        `value` (a tuple of bytes, without newlines); an empty tuple deletes them (and what they
        held beyond whitespace is written aside);
      - "replace-start", "replace-end": `value` is (old, new): the string at `pointer` starts
        (ends) with `old`, which is replaced by `new` (refused when the string no longer starts
        or ends with `old`); an empty `old` prepends (appends) `new`;
      - "lowercase": the string at `pointer` in lower case.
    The last three name the change, not the new text, so a finding keeps a few characters
    instead of a copy of its record's text, and a dataset rule can fix every record without
    keeping their texts.
    """

    line: int
    op: str
    pointer: str = ""
    value: Any = None
    span: int = 1

    def new_text(self, text: str) -> str:
        """The text at the pointer after a "set", "replace-start", "replace-end" or "lowercase"
        edit of `text` (the string there now); ValueError when `text` no longer starts (ends)
        with the part to replace."""
        if self.op == "set":
            return str(self.value)
        if self.op == "lowercase":
            return text.lower()
        if self.op not in ("replace-start", "replace-end"):
            raise ValueError(f"a {self.op!r} edit makes no text")
        old, new = self.value
        if self.op == "replace-start":
            if not text.startswith(old):
                raise ValueError(f"the text at {self.pointer} no longer starts with {old!r}")
            return str(new + text[len(old) :])
        if not text.endswith(old):
            raise ValueError(f"the text at {self.pointer} no longer ends with {old!r}")
        return str(text[: len(text) - len(old)] + new)


class Fix(NamedTuple):
    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability


class Diagnostic(NamedTuple):
    """One finding. Diagnostics and their parts are immutable named tuples: a rule may make a
    million of them, and tuples cost half the time of frozen dataclasses to build."""

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    fix: Fix | None = None
    related: tuple[Location, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code)


# --- between processes -------------------------------------------------------------------------
# Parallel workers send their diagnostics back as plain tuples of strings and numbers, which
# pickle at C speed; pickling the named tuples (or dataclasses) calls Python code for every
# object and took 4x as long (measured: 200,000 diagnostics with a fix, 2.2 s vs 0.5 s).

_SEVERITY = {s.value: s for s in Severity}
_APPLICABILITY = {int(a): a for a in Applicability}


def pack(diagnostics: list[Diagnostic]) -> list[tuple[Any, ...]]:
    """Diagnostics as plain tuples (see `unpack`)."""
    return [(d.code, d.name, d.severity.value, d.message, tuple(d.location),
             None if d.fix is None else (d.fix.title, tuple(map(tuple, d.fix.edits)), int(d.fix.applicability)),
             tuple(map(tuple, d.related))) for d in diagnostics]


def unpack(rows: list[tuple[Any, ...]]) -> list[Diagnostic]:
    """The diagnostics `pack` made these rows of."""
    location_of, edit_of = Location._make, Edit._make
    return [Diagnostic(code, name, _SEVERITY[severity], message, location_of(location),
                       None if fix is None else Fix(fix[0], tuple(map(edit_of, fix[1])), _APPLICABILITY[fix[2]]),
                       tuple(map(location_of, related)) if related else ())
            for code, name, severity, message, location, fix, related in rows]
