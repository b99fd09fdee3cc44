"""`ftlint check FILE --fix --interactive`: prepare_data's questions, answered before anything is
written. A table (CSV, TSV, XLSX, JSON, Parquet) named on the command line is first offered
for conversion to JSON Lines (`ftlint convert --to jsonl`), which is then checked instead; the
fixes are grouped by rule, each group shown with its count and two samples and applied only
on yes (Enter is yes, as prepare_data's `[Y/n]`); a classification file without a validation
file is then offered a split (`ftlint split`). Questions and answers use standard error and
the terminal, so the report on standard output stays as `--fix` writes it."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from ftlint.diagnostics import Applicability, Diagnostic
from ftlint.engine import RunResult
from ftlint.fixes import applicable
from ftlint.text import escape_controls

Ask = Callable[[str], bool]
SAMPLES = 2  # findings shown per group


def needs_terminal() -> str | None:
    """Why the interactive flow cannot run here, or None."""
    if sys.stdin.isatty():
        return None
    return ("--interactive asks before each group of fixes and needs a terminal on standard input; without one, "
            "--fix applies the safe fixes (--unsafe-fixes adds the others) and --diff shows them first")


def terminal_ask(err: TextIO = sys.stderr) -> Ask:
    """A yes/no question on the terminal: Enter or y is yes, n is no, end of input is no."""

    def ask(question: str) -> bool:
        err.write(f"{question} [Y/n]: ")
        err.flush()
        answer = sys.stdin.readline()
        if not answer:
            err.write("\n")
            return False
        return answer.strip().lower() not in ("n", "no")

    return ask


@dataclass
class Group:
    """The fixes of one rule."""

    code: str
    name: str
    found: list[Diagnostic] = field(default_factory=list)

    @property
    def records(self) -> int:
        """The records the fixes change (a dataset-level fix may change many)."""
        return len({(d.location.path, e.line) for d in self.found for e in d.fix.edits})  # type: ignore[union-attr]

    @property
    def unsafe(self) -> bool:
        return any(d.fix.applicability is Applicability.UNSAFE for d in self.found)  # type: ignore[union-attr]


def groups(result: RunResult, minimum: Applicability) -> list[Group]:
    """The fixes `--fix` would apply, grouped by rule, in code order."""
    found: dict[str, Group] = {}
    for d in result.diagnostics:
        if applicable(d, minimum) and d.fix.edits:  # type: ignore[union-attr]
            found.setdefault(d.code, Group(d.code, d.name)).found.append(d)
    return [found[code] for code in sorted(found)]


def choose(offered: list[Group], ask: Ask, err: TextIO) -> set[str]:
    """Show each group and ask whether to apply it; the codes accepted."""
    accepted = set()
    for group in offered:
        n = group.records
        err.write(f"\n{group.code} {group.name}: {n:,} record{'s' if n != 1 else ''} to change"
                  f"{' (unsafe: changes content or size; review with --diff)' if group.unsafe else ''}\n")
        for d in group.found[:SAMPLES]:
            err.write(f"  {escape_controls(f'{d.location.path}:{d.location.line}: {d.message}')}\n    fix: {escape_controls(d.fix.title)}\n")  # type: ignore[union-attr]
        if len(group.found) > SAMPLES:
            err.write(f"  ... and {len(group.found) - SAMPLES:,} more\n")
        if ask(f"- Apply the {group.code} fixes?"):
            accepted.add(group.code)
    return accepted


def offer_conversions(paths: list[str], readers: set[str], ask: Ask, err: TextIO) -> list[str]:
    """The paths to check: each table named is replaced by its JSON Lines conversion when the
    user agrees (prepare_data converted every table); the original is kept."""
    from ftlint.commands.convert import convert_file, default_output

    checked = []
    for path in paths:
        output = default_output(path, "jsonl")
        if os.path.splitext(path)[1].lower() not in readers or not os.path.isfile(path):
            checked.append(path)
        elif os.path.exists(output):
            err.write(escape_controls(f"{path} is not JSON Lines and {output} exists: fixing that file; remove it to convert {path} again") + "\n")
            checked.append(output)
        elif ask(escape_controls(f"- {path} is not JSON Lines: fixes are written to JSON Lines. Convert it to {output}?")):
            report = convert_file(path, output, "jsonl")
            err.write(escape_controls(f"{output}: wrote {report.written:,} records from {path}") + "\n")
            for line in report.lines():
                err.write(escape_controls(f"{path}: {line}") + "\n")
            checked.append(output)
        else:
            checked.append(path)
    return checked


def offer_split(result: RunResult, settings: object, ask: Ask, err: TextIO) -> None:
    """For each classification file (prepare_data split classifiers into _prepared_train and
    _prepared_valid): offer `ftlint split`, which keeps copies and near-copies on one side."""
    from ftlint.split import SplitError, split

    for f in result.files:
        if f.role != "train" or f.error or f.unfixable or f.conventions.task != "classification":
            continue
        if ask(escape_controls(f"- {f.path} is a classifier: split it into training and validation files (`ftlint split {f.path}`)?")):
            try:
                err.write(escape_controls(split(f.path, 0.1, 0, True, False, settings)) + "\n")
            except (SplitError, OSError) as error:
                err.write(escape_controls(f"ftlint: split not done: {error}") + "\n")
