"""The batch model: consecutive records of one file as rules see them, and the rows helpers
that find, at C speed, the records a check is about (`batch.missing("prompt")`,
`batch.not_ending_with("completion", stop)`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import compress, count, repeat
from operator import contains, is_, is_not, not_, or_
from typing import Any, Callable, Iterable, TypeVar, cast

import numpy as np

from ftlint.diagnostics import Fix

Record = dict[str, Any]  # one parsed JSON object
T = TypeVar("T")


@dataclass(slots=True)
class Issue:
    """A problem the reader found in the bytes of one line."""

    code: str
    line: int
    column: int
    message: str
    fix: Fix | None = None


@dataclass
class Batch:
    """Consecutive lines of one file: line numbers, raw bytes and parsed objects (None if unusable)."""

    path: str
    lines: list[int] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    values: list[Record | None] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    _columns: dict[tuple[str, bool | str], list[Any]] = field(default_factory=dict, repr=False)  # (key, kind) -> column
    _derived: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)  # (compute, *args) -> its value

    def __len__(self) -> int:
        return len(self.lines)

    def without_issues(self) -> Batch:
        """The same records without the reader's issues, sharing this batch's cached columns and
        derived data (they depend on the records only)."""
        return Batch(self.path, self.lines, self.raws, self.values, [], self._columns, self._derived)

    def values_of(self, key: str) -> list[Any]:
        """The value of `key` in each record, None where absent or unparsed (cached)."""
        column = self._columns.get((key, False))
        if column is None:
            column = list(map(dict.get, self.derived(objects), repeat(key)))
            self._columns[(key, False)] = column
        return column

    def strings(self, key: str) -> list[str | None]:
        """The value of `key` in each record when it is a string, else None (cached; the list of
        `values_of` itself when every value is a string or null)."""
        column: list[Any] | None = self._columns.get((key, True))
        if column is None:
            column = self.values_of(key)
            if not set(map(type, column)) <= _STRING_OR_NONE:
                column = column.copy()
                for i in where(map(is_not, map(type, column), repeat(str))):
                    column[i] = None
            self._columns[(key, True)] = column
        return column

    def texts(self, key: str) -> list[str]:
        """Like `strings`, with "" instead of None (cached): for C-speed scans such as
        `where(map(str.endswith, batch.texts("prompt"), repeat(sep)))`."""
        column: list[Any] | None = self._columns.get((key, "texts"))
        if column is None:
            column = none_as_empty(self.strings(key))
            self._columns[(key, "texts")] = column
        return cast(list[str], column)  # no None left

    def ending_with(self, key: str, affix: str) -> list[bool]:
        """Whether each record's `key` text (see `texts`) ends with `affix` (cached: the rules
        that check one separator or stop sequence share one pass over the texts)."""
        column = self._columns.get((key, "ends:" + affix))
        if column is None:
            column = list(map(str.endswith, self.texts(key), repeat(affix)))
            self._columns[(key, "ends:" + affix)] = column
        return column

    # --- rows: the indices of the records a check is about, found at C speed ------------------

    def missing(self, key: str) -> list[int]:
        """Rows of the records (JSON objects) that have no `key`."""
        values = self.values
        return [i for i in where(map(is_, self.values_of(key), repeat(None))) if values[i] is not None and key not in values[i]]  # type: ignore[operator]

    def not_strings(self, key: str) -> list[int]:
        """Rows of the records whose `key` is there but not a string (null, a number, ...)."""
        values = self.values
        return [i for i in where(map(is_, self.strings(key), repeat(None))) if values[i] is not None and key in values[i]]  # type: ignore[operator]

    def blank(self, key: str) -> list[int]:
        """Rows whose `key` is a string that is empty or only whitespace."""
        texts, strings = self.texts(key), self.strings(key)
        return [i for i in where(map(or_, map(not_, texts), map(str.isspace, texts))) if strings[i] is not None]

    def ends_with(self, key: str, suffix: str) -> list[int]:
        """Rows whose `key` is a string ending with `suffix`."""
        return where(self.ending_with(key, suffix))

    def not_ending_with(self, key: str, suffix: str) -> list[int]:
        """Rows whose `key` is a string that does not end with `suffix`."""
        strings = self.strings(key)
        return [i for i in where(map(not_, self.ending_with(key, suffix))) if strings[i] is not None]

    def not_starting_with(self, key: str, prefixes: str | tuple[str, ...]) -> list[int]:
        """Rows whose `key` is a string that starts with none of `prefixes`."""
        strings = self.strings(key)
        return [i for i in where(map(not_, map(str.startswith, self.texts(key), repeat(prefixes)))) if strings[i] is not None]

    def containing(self, key: str, part: str) -> list[int]:
        """Rows whose `key` is a string containing `part` (anywhere)."""
        return where(map(contains, self.texts(key), repeat(part)))

    def with_keys_outside(self, allowed: frozenset[str]) -> list[int]:
        """Rows of the records that have a key not in `allowed`."""
        return where(map(not_, map(allowed.issuperset, self.derived(objects))))

    def line_array(self) -> np.ndarray:
        """The batch's line numbers as uint32 (4 bytes a record), or int64 beyond 2**32 - 1
        lines (concatenating both kinds gives int64), computed once per batch."""
        return self.derived(_line_array)

    def derived(self, compute: Callable[..., T], *args: Any) -> T:
        """`compute(self, *args)`, computed once per batch: rules that need the same derived
        data (hashes, lengths) share it by calling this with the same module-level function
        and arguments."""
        key = (compute, *args)
        if key not in self._derived:
            self._derived[key] = compute(self, *args)
        return cast(T, self._derived[key])

    def matching(self, *patterns: re.Pattern[bytes], table: bytes | None = None) -> list[int]:
        """Rows of the usable records whose raw line matches any of `patterns` (searched in the
        batch's lines joined, translated by `table` when given; cached per pattern, so rules
        that share a pattern object share its scan): a few C-speed scans find the rare records
        a rule must look at. A pattern that starts with a literal character scans fastest; a
        top-level alternation or a leading character class is ~10x slower."""
        if len(patterns) != 1:
            return sorted(set().union(*(self.matching(pattern, table=table) for pattern in patterns)))
        return self.derived(_rows_matching, patterns[0], table)

    def column_of(self, index: int, key: str) -> int:
        """1-based character column of `"key"` in the raw line, 1 when absent."""
        raw = self.raws[index]
        at = raw.find(b'"' + key.encode() + b'"')
        return len(raw[:at].decode("utf-8", "replace")) + 1 if at >= 0 else 1


def _rows_matching(batch: Batch, pattern: re.Pattern[bytes], table: bytes | None) -> list[int]:
    if not batch.raws:
        return []
    block, ends = batch.derived(_raw_block)
    if table is not None:
        block = block.translate(table)
    starts = [m.start() for m in pattern.finditer(block)]
    if not starts:
        return []
    values = batch.values
    return [i for i in np.unique(np.searchsorted(ends, np.array(starts), side="right")).tolist() if values[i] is not None]


def _raw_block(batch: Batch) -> tuple[bytes, np.ndarray]:
    """The batch's raw lines joined by newlines, and the offset where each line's newline is."""
    ends = np.cumsum(np.fromiter(map(len, batch.raws), np.int64, len(batch.raws)) + 1)
    return b"\n".join(batch.raws), ends


def present_values(batch: Batch, key: str) -> tuple[list[str], list[int]]:
    """The string values of `key` and their lines, for the records that have one (no copy when
    every record has one; cached)."""
    texts = batch.strings(key)
    if None not in texts:
        return cast(list[str], texts), batch.lines
    return batch.derived(_present, key)


def _present(batch: Batch, key: str) -> tuple[list[str], list[int]]:
    texts = batch.strings(key)
    present = list(map(is_not, texts, repeat(None)))
    return cast(list[str], list(compress(texts, present))), list(compress(batch.lines, present))


def _line_array(batch: Batch) -> np.ndarray:
    lines = batch.lines
    return np.array(lines, dtype=np.uint32 if not lines or lines[-1] <= 0xFFFFFFFF else np.int64)


def none_as_empty(texts: list[T | None], empty: Any = "") -> list[T]:
    """`texts` with `empty` in place of each None (the same list when there is none)."""
    if None not in texts:
        return cast(list[T], texts)
    filled = texts.copy()
    for i in where(map(is_, texts, repeat(None))):
        filled[i] = empty
    return cast(list[T], filled)


def where(flags: Iterable[Any]) -> list[int]:
    """Indices of the true flags."""
    return list(compress(count(), flags))


_STRING_OR_NONE = {str, type(None)}
_NO_KEYS: Record = {}


def objects(batch: Batch) -> list[Record]:
    """The batch's values with an empty dict for each unusable record."""
    return none_as_empty(batch.values, _NO_KEYS)
