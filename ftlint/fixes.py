"""Applying fixes without losing data.

- Only the lines a fix touches change; every other line is copied byte for byte.
- A changed record is re-serialized with `ensure_ascii=False`, keys in their order.
- Everything a fix removes (a dropped record, a removed line, text cut from a line or from a
  value) is appended to `<name>.removed.jsonl` beside the file, with its original line number
  and the rule: a dropped record as it was dropped, cut text as the exact original line.
- Fixes are applied on a copy, re-checked, and applied again until nothing applicable is left
  (at most MAX_ROUNDS); then the copy replaces the original atomically (os.replace), with the
  original's permissions. `<name>.removed.jsonl` is appended to first; if the replace fails,
  the append is undone. With --diff nothing is written: the diff is printed instead.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import os
import shutil
import stat
import tempfile
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from ftlint.diagnostics import Applicability, Diagnostic, Edit
from ftlint.engine import Linter, RunResult
from ftlint.reader import BLOCK_BYTES, diagnose, iter_raw_lines, open_binary
from ftlint.text import escape_controls

MAX_ROUNDS = 8
REMOVED_SUFFIX = ".removed.jsonl"


@dataclass
class _Work:
    """A file being fixed: its working copy and, per current line, the original line number."""

    original: str
    copy: str
    max_line_bytes: int
    origin: array | None = None  # None: not rewritten yet, line k is original line k
    fixed: Counter = field(default_factory=Counter)
    removed: list[tuple[int, bytes]] = field(default_factory=list)  # dropped records: (original line, entry)
    cut: dict[int, tuple[int, str]] = field(default_factory=dict)  # original lines first -> (last, rules) that lost text


def removed_path(path: str) -> str:
    name = path[:-3] if path.endswith(".gz") else path
    return (name[:-6] if name.endswith(".jsonl") else name) + REMOVED_SUFFIX


def applicable(d: Diagnostic, minimum: Applicability) -> bool:
    return d.fix is not None and d.fix.applicability is not Applicability.DISPLAY_ONLY and d.fix.applicability >= minimum


def _select(diagnostics: list[Diagnostic], minimum: Applicability) -> dict[int, list[tuple[Diagnostic, Edit]]]:
    """Non-conflicting fixes, whole fixes only: edits on one line conflict unless all are `set`
    on different pointers. Skipped fixes are picked up in the next round."""
    taken: dict[int, list[tuple[Diagnostic, Edit]]] = {}  # first line of an edit -> its edits
    covered: dict[int, list[Edit]] = {}  # every line an accepted edit touches -> those edits
    for d in diagnostics:
        if not applicable(d, minimum):
            continue
        edits = d.fix.edits  # type: ignore[union-attr]
        if any(_conflicts(e, covered.get(line, [])) for e in edits for line in range(e.line, e.line + e.span)):
            continue
        for e in edits:
            taken.setdefault(e.line, []).append((d, e))
            for line in range(e.line, e.line + e.span):
                covered.setdefault(line, []).append(e)
    return taken


def _conflicts(edit: Edit, others: list[Edit]) -> bool:
    return any(edit.op != "set" or o.op != "set" or edit.pointer == o.pointer
               or edit.pointer.startswith(o.pointer + "/") or o.pointer.startswith(edit.pointer + "/") for o in others)


def _parse(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return diagnose(raw, 0)[0]


def _set_pointer(value: Any, pointer: str, new: Any) -> Any:
    """Set the value at `pointer`; return the value it replaced (None if there was none)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    target = value
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        old, target[int(last)] = target[int(last)], new
    else:
        old, target[last] = target.get(last), new
    return old


def _loses_text(old: Any, new: Any) -> bool:
    """Whether `new` in place of `old` loses anything: more than whitespace changed or text
    added after the old text (a separator or stop appended or completed, a space prepended)."""
    if isinstance(old, str) and isinstance(new, str):
        return not "".join(new.split()).startswith("".join(old.split()))
    return old is not None and old != new


def _aside(line: int, reason: str, raw: bytes, whole_record: bool) -> bytes:
    """One line of <name>.removed.jsonl: where it was, why, and the original content: the
    record itself when a whole record was dropped, else the exact original line."""
    entry: dict[str, Any] = {"line": line, "removed_by": reason}
    text = raw.decode("utf-8", "replace")
    value = _parse(raw) if whole_record and text.encode() == raw else None
    if isinstance(value, dict):
        entry["record"] = value
    else:
        entry["raw"] = text
        if text.encode() != raw:
            entry["raw_hex"] = raw.hex()
    return json.dumps(entry, ensure_ascii=False).encode()


def _lines(path: str, max_line_bytes: int):
    """Every raw line of a file (decompressed), split on b"\\n" only; a line over
    `max_line_bytes` comes as its length (no fix ever edits such a line)."""
    with open_binary(path) as src:
        for chunk in iter_raw_lines(src, max_line_bytes):
            yield from chunk


def _rewrite(work: _Work, taken: dict[int, list[tuple[Diagnostic, Edit]]]) -> None:
    """Apply one round of edits to the working copy. Runs of untouched lines are copied as
    whole blocks of bytes, so a huge untouched line is never held in memory."""
    firsts = sorted(taken)
    spans = {line: max(e.span for _, e in edits) for line, edits in taken.items()}

    def source(first: int, count: int) -> array | range:
        return range(first, first + count) if work.origin is None else work.origin[first - 1 : first - 1 + count]

    handle, new_copy = tempfile.mkstemp(dir=os.path.dirname(work.copy), prefix=".ftlint-fix-")
    origin = array("q")
    line, next_edit = 1, 0  # the line the next byte belongs to; index into firsts
    collected: list[bytes] = []  # complete lines of the edit being read
    pieces: list[bytes] = []  # the unfinished line of that edit
    ended_with_newline = True
    with os.fdopen(handle, "wb") as file_out, open_binary(work.copy) as src:
        out = gzip.GzipFile(fileobj=file_out, mode="wb", mtime=0) if work.original.endswith(".gz") else file_out
        while block := src.read(BLOCK_BYTES):
            ended_with_newline = block.endswith(b"\n")
            pos = 0
            last_line = line + len(collected) + block.count(b"\n")  # the line the block's end belongs to
            while pos < len(block):
                if not collected and not pieces:  # copying untouched lines through
                    target = firsts[next_edit] if next_edit < len(firsts) else None
                    newlines = last_line - line
                    if target is None or target > line + newlines:
                        out.write(block[pos:])
                        origin.extend(source(line, newlines))
                        line += newlines
                        break
                    stop = pos
                    for _ in range(target - line):
                        stop = block.find(b"\n", stop) + 1
                    out.write(block[pos:stop])
                    origin.extend(source(line, target - line))
                    line, pos = target, stop
                newline = block.find(b"\n", pos)
                if newline < 0:
                    pieces.append(block[pos:])
                    break
                collected.append(b"".join([*pieces, block[pos:newline]]))
                pieces, pos = [], newline + 1
                first = firsts[next_edit]
                if len(collected) == spans[first]:
                    origins = source(first, len(collected))
                    _emit(out, origin, _edit_line(b"\n".join(collected), taken[first], origins, work), origins[0], True)
                    line, next_edit, collected = first + len(collected), next_edit + 1, []
        if pieces or collected:  # the file's last line, without a final newline, is edited
            first = firsts[next_edit]
            collected.append(b"".join(pieces))
            origins = source(first, len(collected))
            _emit(out, origin, _edit_line(b"\n".join(collected), taken[first], origins, work), origins[0], False)
        elif not ended_with_newline:
            origin.extend(source(line, 1))  # an untouched last line without a final newline
        if out is not file_out:
            out.close()
    os.replace(new_copy, work.copy)
    work.origin = origin


def _emit(out: Any, origin: array, new_lines: list[bytes], source_line: int, newline_at_end: bool) -> None:
    """Write an edit's new lines; the file's last line keeps its lack of a final newline."""
    for k, new in enumerate(new_lines):
        out.write(new)
        if newline_at_end or k < len(new_lines) - 1:
            out.write(b"\n")
        origin.append(source_line)


def _edit_line(raw: bytes, edits: list[tuple[Diagnostic, Edit]], origins: array | range, work: _Work) -> list[bytes]:
    """The new lines for `raw` (the current lines an edit spans; `origins`: their original line
    numbers). What the edits lose is noted in `work` for <name>.removed.jsonl."""
    for d, _ in edits:
        work.fixed[d.code] += 1
    reason = ", ".join(f"{d.code} {d.name}" for d, _ in edits)
    first = edits[0][1]
    if first.op == "drop":
        work.removed.append((origins[0], _aside(origins[0], reason, raw, whole_record=True)))
        return []
    if first.op == "replace-line":
        new_lines = list(first.value)
        if raw.strip() and _significant(b"".join(new_lines)) != _significant(raw):
            _note_cut(work, origins, reason)
        return new_lines
    value = _parse(raw)
    cutting = [d for d, edit in edits if _loses_text(_set_pointer(value, edit.pointer, edit.value), edit.value)]
    if cutting:
        _note_cut(work, origins, ", ".join(f"{d.code} {d.name}" for d in cutting))
    suffix = b"\r" if raw.endswith(b"\r") else b""
    prefix = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    return [prefix + json.dumps(value, ensure_ascii=False).encode() + suffix]


def _note_cut(work: _Work, origins: array | range, reason: str) -> None:
    """Note that an edit lost text from these original lines; they are read back from the
    original file when committing, so the entry holds them exactly, however many rounds
    edited them before."""
    first, last = min(origins), max(origins)
    if first in work.cut:
        before_last, before = work.cut[first]
        last, reason = max(last, before_last), before if reason in before else f"{before}, {reason}"
    work.cut[first] = (last, reason)


def _removed_entries(work: _Work) -> bytes:
    """The lines to append to <name>.removed.jsonl, in original line order."""
    entries = list(work.removed)
    if work.cut:
        wanted = {n for first, (last, _) in work.cut.items() for n in range(first, last + 1)}
        lines = {n: raw for n, raw in zip(range(1, max(wanted) + 1), _lines(work.original, work.max_line_bytes)) if n in wanted}
        for first, (last, reason) in work.cut.items():
            raw = b"\n".join(lines[n] for n in range(first, last + 1))
            entries.append((first, _aside(first, reason, raw, whole_record=False)))
    entries.sort(key=lambda entry: entry[0])
    return b"".join(entry + b"\n" for _, entry in entries)


def _significant(raw: bytes) -> bytes:
    """A line's content without whitespace, BOM and CR: what a fix must not lose silently."""
    return b"".join(raw.replace(b"\xef\xbb\xbf", b"").split())


def _pinned(linter: Linter, result: RunResult) -> Linter:
    """A linter whose conventions are those first inferred, so fixing cannot shift them."""
    settings = linter.settings
    if result.files:
        conv = result.files[0].conventions
        settings = dataclasses.replace(
            settings,
            format=settings.format or (conv.format if conv.format != "unknown" else None),
            task=settings.task or conv.task,
            separator=settings.separator if settings.separator is not None else conv.separator,
            stop=settings.stop if settings.stop is not None else conv.stop,
        )
    return Linter(linter.rule_classes, settings, linter.jobs)


def apply_fixes(linter: Linter, result: RunResult, minimum: Applicability, diff_out: TextIO | None) -> RunResult:
    """Fix every file of the run (see module docstring); return the result of the final check."""
    files = [f for f in result.files if not f.error]
    if not any(applicable(d, minimum) for f in files for d in f.diagnostics):
        return result
    for f in files:
        if diff_out is None and _read_only(f.path):
            result.errors.append(f"{f.path}: file is read-only; not fixed")
            return result
    linter = _pinned(linter, result)
    with tempfile.TemporaryDirectory(prefix="ftlint-fix-") as scratch:
        works: dict[str, _Work] = {}
        for i, f in enumerate(files):
            copy = os.path.join(scratch, f"{i}-{Path(f.path).name}")
            shutil.copy2(f.path, copy)
            works[f.path] = _Work(f.path, copy, linter.settings.max_line_bytes)
        current = result
        for _ in range(MAX_ROUNDS):
            pending = {f.path: _select(f.diagnostics, minimum) for f in current.files if f.path in works}
            if not any(pending.values()):
                break
            for path, taken in pending.items():
                if taken:
                    _rewrite(works[path], taken)
            displays = {w.copy: w.original for w in works.values()}
            copies = [works[f.path].copy for f in files if f.role == "train"]
            validation = next((works[f.path].copy for f in files if f.role == "validation"), None)
            current = linter.run(copies, validation=validation, displays=displays)
        if diff_out is not None:
            for work in works.values():
                _write_diff(work, diff_out)
        else:
            for work in works.values():
                _commit(work)
    inferred = {f.path: f.conventions for f in files}
    for f in current.files:
        f.conventions = inferred.get(f.path, f.conventions)
        work = works.get(f.path)
        if work is not None and work.fixed:
            f.fixed = dict(work.fixed)
            f.removed_to = removed_path(f.path) if (work.removed or work.cut) and diff_out is None else None
    return current


def _read_only(path: str) -> bool:
    """Not writable by us, or writable by nobody: a file without write permission is refused
    even as root (who may write anything, and often runs CI containers)."""
    return not os.access(path, os.W_OK) or not stat.S_IMODE(os.stat(path).st_mode) & 0o222


def _commit(work: _Work) -> None:
    """Append what was removed to <name>.removed.jsonl (fsynced first, so a removal is never
    lost), then replace the original atomically, keeping its permissions. If anything fails,
    the append is undone: both files are left as they were."""
    if not work.fixed:
        return
    entries = _removed_entries(work) if work.removed or work.cut else b""
    aside_path = removed_path(work.original)
    aside_size = os.path.getsize(aside_path) if os.path.exists(aside_path) else None  # None: no such file yet
    staged = None
    try:
        if entries:
            with open(aside_path, "ab") as aside:
                aside.write(entries)
                aside.flush()
                os.fsync(aside.fileno())
        handle, staged = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(work.original)), prefix=".ftlint-fix-")
        with os.fdopen(handle, "wb") as out, open(work.copy, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(staged, stat.S_IMODE(os.stat(work.original).st_mode))
        os.replace(staged, work.original)
    except BaseException:
        if staged is not None and os.path.exists(staged):
            os.unlink(staged)
        if entries:
            _undo_append(aside_path, aside_size)
        raise


def _undo_append(path: str, size: int | None) -> None:
    """Restore <name>.removed.jsonl to `size` bytes, or remove it if it did not exist. Best
    effort: the error that made the commit fail is the one reported."""
    with contextlib.suppress(OSError):
        if size is None:
            os.unlink(path)
        else:
            os.truncate(path, size)


def _write_diff(work: _Work, out: TextIO) -> None:
    """A unified diff (no context lines) of the original against the fixed copy, built from the
    line origins, so it costs one pass over each file whatever their size."""
    if work.origin is None:
        return
    fixed = iter(zip(work.origin, _lines(work.copy, work.max_line_bytes)))
    pending = next(fixed, None)
    new_line = 0
    header = False
    for line, old in enumerate(_lines(work.original, work.max_line_bytes), 1):
        new: list[bytes] = []
        while pending is not None and pending[0] == line:
            new.append(pending[1])
            pending = next(fixed, None)
        start = new_line + 1
        new_line += len(new)
        if new == [old]:
            continue
        if not header:
            name = escape_controls(work.original)
            out.write(f"--- {name}\n+++ {name} (fixed)\n")
            header = True
        out.write(f"@@ -{line},1 +{start if new else start - 1},{len(new)} @@\n")
        out.write("-" + _diff_text(old) + "\n")
        out.writelines("+" + _diff_text(n) + "\n" for n in new)


def _diff_text(raw: bytes) -> str:
    return escape_controls(raw.decode("utf-8", "replace"))
