"""The labels of a classification dataset: per distinct completion its count, first place
and lines, merged across partitions, grouped into classes (spellings that differ only in case,
surrounding whitespace or trailing punctuation are one class). Shared by the class rules (FT5xx)
and the label-token rule (FT402).
"""
from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass
from typing import cast

from ftlint.batch import Batch
from ftlint.conventions import label_key
from ftlint.text import show

MAX_LABELS = 1000  # distinct labels tracked before a state gives up (then it is not classification)


class LabelStats:
    """Per distinct completion: its count, its first (line, column) and optionally all its lines.

    Mergeable: `merge(a, b)` where a's partition came before b's. Bounded: past `cap` distinct
    labels it stops collecting and sets `overflow`.
    """

    __slots__ = ("counts", "first", "lines", "overflow", "cap")

    def __init__(self, cap: int = MAX_LABELS, keep_lines: bool = False) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, tuple[int, int]] = {}
        self.lines: dict[str, array[int]] | None = {} if keep_lines else None
        self.overflow = False
        self.cap = cap

    def add(self, batch: Batch) -> None:
        if self.overflow:
            return
        column = batch.strings("completion")
        found = Counter(column)
        found.pop(None, None)  # not a string: no class (the schema rules report it)
        counts = cast("Counter[str]", found)
        for blank in [label for label in counts if not label.strip()]:
            del counts[blank]  # an empty completion is no class (FT103 reports it)
        if not counts:
            return
        new = [label for label in counts if label not in self.counts]
        if len(self.counts) + len(new) > self.cap:
            self._give_up()
            return
        for label in new:
            i = column.index(label)
            self.first[label] = (batch.lines[i], batch.column_of(i, "completion"))
        totals = self.counts
        for label, n in counts.items():
            totals[label] = totals.get(label, 0) + n
        if self.lines is not None:
            lines = self.lines
            for label in new:
                lines[label] = array("q")
            for line, label in zip(batch.lines, cast(list[str], column)):  # None is in no count
                if label in counts:
                    lines[label].append(line)

    def _give_up(self) -> None:
        self.overflow = True
        self.counts, self.first = {}, {}
        if self.lines is not None:
            self.lines = {}

    def merge(self, other: LabelStats) -> LabelStats:
        if self.overflow or other.overflow:
            self._give_up()
            return self
        new = [label for label in other.counts if label not in self.counts]
        if len(self.counts) + len(new) > self.cap:
            self._give_up()
            return self
        for label, n in other.counts.items():
            self.counts[label] = self.counts.get(label, 0) + n
        for label in new:
            self.first[label] = other.first[label]
        if self.lines is not None and other.lines is not None:
            for label, lines in other.lines.items():
                self.lines.setdefault(label, array("q")).extend(lines)
        return self

    def by_first_line(self) -> list[str]:
        return sorted(self.counts, key=lambda label: self.first[label])

    def groups(self) -> list[LabelClass]:
        """The classes: labels grouped by `label_key`, in the order of their first line."""
        spellings: dict[str, list[str]] = {}
        for label in self.by_first_line():
            spellings.setdefault(label_key(label), []).append(label)
        found = []
        for labels in spellings.values():
            dominant = max(labels, key=self.counts.__getitem__)  # ties: the spelling seen first
            count = sum(self.counts[label] for label in labels)
            found.append(LabelClass(dominant, count, self.first[labels[0]], labels))
        return found


@dataclass
class LabelClass:
    """One class: its dominant spelling, its records (all spellings), where it first occurs."""

    name: str
    count: int
    first: tuple[int, int]  # (line, column) of its first record
    spellings: list[str]  # every spelling, the first seen first

    def described(self) -> str:
        """The class for a message: its spelling, and how many other spellings it counts."""
        others = len(self.spellings) - 1
        return show(self.name) + (f" (with {others} variant spelling{'s' if others > 1 else ''})" if others else "")
