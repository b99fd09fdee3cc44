"""Applying fixes without losing data (docs/GUARANTEES.md, section 1).

- A fix changes only what it names. Lines no fix touches are copied byte for byte. A record-level
  fix (`set`, `drop`, ...) edits the raw bytes of the line's first JSON value (`ftlint.jsonedit`):
  every byte it does not name stays (numbers as written, duplicate keys, escapes, invalid
  UTF-8, whatever follows the value on the line). Where that is impossible the fix is not
  applied and its finding says why.
- Line-level fixes go first: a line with one (split concatenated objects, cut trailing text,
  remove a BOM or a CR) gets no record-level fix in the same round, so a record-level fix
  always acts on one object.
- Everything a fix removes (a dropped record, text cut from a line or from a value) is put in
  `<name>.removed.jsonl` beside the file as the exact original line, with its line number.
- Fixes are applied on a copy, re-checked, and applied again until nothing changes (at most
  MAX_ROUNDS rounds, far more than any real line needs; reaching it is an error naming the
  line). Each file is re-checked with its own conventions (a validation file with its training
  file's).
- Commit: the files to fix are locked (flock) and their identity noted before they are read;
  a file that changed since is refused. The fixed copy is staged beside the target (through a
  symbolic link), given the original's mode and owner, fsynced; `<name>.removed.jsonl` is
  appended to (entries of an interrupted commit of the same content replaced, not repeated)
  and fsynced; then the staged copy replaces the target atomically. If anything fails, the
  append is undone. With --diff nothing is written: the diff is printed instead.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import errno
import fcntl
import functools
import gzip
import hashlib
import json
import os
import shutil
import stat
import tempfile
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Iterator, TextIO

import orjson

from ftlint import tempfiles
from ftlint.conventions import Conventions, infer
from ftlint.diagnostics import Applicability, Diagnostic, Edit
from ftlint.engine import FileResult, Linter, RunResult, expand_paths
from ftlint.jsonedit import Inexact, drop_value, realign, set_value
from ftlint.reader import BLOCK_BYTES, is_gzip, iter_raw_lines, open_binary
from ftlint.sampling import sample_records
from ftlint.text import escape_controls

MAX_ROUNDS = 1000
REMOVED_SUFFIX = ".removed.jsonl"
LINE_LEVEL = "replace-line"


class FixError(OSError):
    """A file ftlint will not fix (locked by another run, changed since it was read, too many
    rounds): exit 2, the file untouched."""


@dataclass
class _Work:
    """A file being fixed: its working copy and, per current line, the original line number."""

    original: str  # the path as given (reported)
    target: str  # the file written: the path with symbolic links resolved
    copy: str
    max_line_bytes: int
    run_id: str = ""  # digest of the original bytes: marks this content's entries in <name>.removed.jsonl
    origin: array[int] | None = None  # None: not rewritten yet, line k is original line k
    fixed: Counter[str] = field(default_factory=Counter)
    aside: dict[int, tuple[int, str, bool]] = field(default_factory=dict)  # original first line -> (last line, rules, a record dropped)
    refused: dict[tuple[int, str], str] = field(default_factory=dict)  # (original line, code) -> why its fix was not applied
    changed: bool = False  # the last round changed the copy

    def original_line(self, line: int) -> int:
        return line if self.origin is None else self.origin[line - 1]


def removed_path(path: str) -> str:
    name = path[:-3] if path.endswith(".gz") else path
    return (name[:-6] if name.endswith(".jsonl") else name) + REMOVED_SUFFIX


def applicable(d: Diagnostic, minimum: Applicability) -> bool:
    return d.fix is not None and d.fix.applicability is not Applicability.DISPLAY_ONLY and d.fix.applicability >= minimum


# --- the files being fixed: locks and identities ------------------------------------------------

@dataclass
class _Held:
    target: str
    handle: int
    identity: tuple[int, int, int, int]  # device, inode, size, mtime (ns)


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class FixGuard:
    """Exclusive advisory locks (flock on each file itself: no lock file) and the identity of
    every file to fix, taken before the files are read. A second `ftlint --fix` on one of them
    is refused at once; a file that changed afterwards (size, mtime, inode) is not written."""

    def __init__(self) -> None:
        self.held: dict[str, _Held] = {}

    def hold(self, path: str) -> None:
        target = os.path.realpath(path)
        if target in self.held or not os.path.isfile(target):
            return
        handle = os.open(target, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(handle)
                raise FixError(f"{path}: another ftlint --fix is fixing this file; not fixed") from None
            # no lock support on this file system: other writers are still detected at commit
        self.held[target] = _Held(target, handle, _identity(os.fstat(handle)))

    def changed(self, path: str) -> str | None:
        """Why `path` may not be written now, or None."""
        held = self.held.get(os.path.realpath(path))
        if held is None:
            return None
        try:
            now = _identity(os.stat(held.target))
        except OSError as error:
            return f"{path}: {error.strerror}; not fixed"
        if now != held.identity:
            return f"{path}: the file changed while it was being fixed (by another program?); not fixed, run ftlint again"
        return None

    def close(self) -> None:
        for held in self.held.values():
            with contextlib.suppress(OSError):
                os.close(held.handle)  # releases the lock
        self.held.clear()

    def __enter__(self) -> "FixGuard":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def guard(paths: Iterable[str], validation: str | None = None) -> FixGuard:
    """Lock the files a fix run will read (directories: the datasets inside) and note their
    identity; raises FixError when another ftlint --fix holds one of them."""
    files, _ = expand_paths([p for p in paths if p != "-"])
    held = FixGuard()
    try:
        for path in [*files, *([validation] if validation else [])]:
            held.hold(path)
    except BaseException:
        held.close()
        raise
    return held


# --- one round of fixes -------------------------------------------------------------------------

def _select(work: _Work, diagnostics: list[Diagnostic], minimum: Applicability, allowed: set[str]) -> dict[int, list[tuple[Diagnostic, Edit]]]:
    """Non-conflicting fixes, whole fixes only: edits on one line conflict unless all are `set`
    on different pointers. Line-level edits are taken before record-level ones, so a line is
    split or cleaned before any fix touches its record. Fixes refused before are not taken
    again; skipped fixes are picked up in the next round."""
    taken: dict[int, list[tuple[Diagnostic, Edit]]] = {}  # first line of an edit -> its edits
    covered: dict[int, list[Edit]] = {}  # every line an accepted edit touches -> those edits
    wanted = [d for d in diagnostics if d.code in allowed and applicable(d, minimum) and d.fix.edits]  # type: ignore[union-attr]
    wanted.sort(key=lambda d: d.fix.edits[0].op != LINE_LEVEL)  # type: ignore[union-attr]
    for d in wanted:
        edits = d.fix.edits  # type: ignore[union-attr]
        if (work.original_line(edits[0].line), d.code) in work.refused:
            continue
        if any(_conflicts(e, covered.get(line, [])) for e in edits for line in range(e.line, e.line + e.span)):
            continue
        for e in edits:
            taken.setdefault(e.line, []).append((d, e))
            for line in range(e.line, e.line + e.span):
                covered.setdefault(line, []).append(e)
    return taken


# Edits that change one value of a record, which edits of other values on the line leave alone.
VALUE_EDITS = frozenset({"set", "replace-start", "replace-end"})


def _conflicts(edit: Edit, others: list[Edit]) -> bool:
    return any(edit.op not in VALUE_EDITS or o.op not in VALUE_EDITS or edit.pointer == o.pointer
               or edit.pointer.startswith(o.pointer + "/") or o.pointer.startswith(edit.pointer + "/") for o in others)


def _edit_line(raw: bytes, edits: list[tuple[Diagnostic, Edit]], origins: array[int] | range, work: _Work) -> list[bytes]:
    """The new lines for `raw` (the current lines an edit spans; `origins`: their original line
    numbers). What the edits remove is noted in `work` for <name>.removed.jsonl, what cannot
    be done exactly is refused (noted with the reason)."""
    first = edits[0][1]
    reason = ", ".join(f"{d.code} {d.name}" for d, _ in edits)
    if first.op == LINE_LEVEL:
        new_lines = list(realign(raw, first.value))
        if raw.strip() and _significant(b"".join(new_lines)) != _significant(raw):
            _note_aside(work, origins, reason, dropped=False)
        work.fixed[edits[0][0].code] += 1
        return _changed(work, raw, new_lines)
    if first.op == "drop":
        try:
            rest = drop_value(raw)
        except Inexact as error:
            work.refused[(origins[0], edits[0][0].code)] = str(error)
            return [raw]
        _note_aside(work, origins, reason, dropped=True)
        work.fixed[edits[0][0].code] += 1
        return _changed(work, raw, [] if rest is None else [rest])
    line, cutting = raw, []
    for d, edit in edits:
        try:
            line, cut = set_value(line, edit.pointer, edit.value if edit.op == "set" else functools.partial(_rewritten, edit))
        except Inexact as error:
            work.refused[(origins[0], d.code)] = str(error)
            continue
        work.fixed[d.code] += 1
        if cut:
            cutting.append(f"{d.code} {d.name}")
    if cutting:
        _note_aside(work, origins, ", ".join(cutting), dropped=False)
    return _changed(work, raw, [line])


def _rewritten(edit: Edit, value: str) -> str:
    """`edit.new_text(value)`, Inexact when the string no longer starts (ends) as the edit says."""
    try:
        return edit.new_text(value)
    except ValueError as error:
        raise Inexact(str(error)) from None


def _changed(work: _Work, raw: bytes, new_lines: list[bytes]) -> list[bytes]:
    if new_lines != [raw]:
        work.changed = True
    return new_lines


def _note_aside(work: _Work, origins: array[int] | range, reason: str, dropped: bool) -> None:
    """Note that an edit removed something from these original lines; they are read back from
    the original file when committing, so the entry holds them exactly, however many rounds
    edited them before."""
    first, last = min(origins), max(origins)
    if first in work.aside:
        before_last, before, was_dropped = work.aside[first]
        last, reason, dropped = max(last, before_last), before if reason in before else f"{before}, {reason}", dropped or was_dropped
    work.aside[first] = (last, reason, dropped)


def _significant(raw: bytes) -> bytes:
    """A line's content without whitespace, BOM and CR: what a fix must not lose silently."""
    return b"".join(raw.replace(b"\xef\xbb\xbf", b"").split())


def _lines(path: str, max_line_bytes: int) -> Iterator[bytes | int]:
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

    def source(first: int, count: int) -> array[int] | range:
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


def _emit(out: Any, origin: array[int], new_lines: list[bytes], source_line: int, newline_at_end: bool) -> None:
    """Write an edit's new lines; the file's last line keeps its lack of a final newline."""
    for k, new in enumerate(new_lines):
        out.write(new)
        if newline_at_end or k < len(new_lines) - 1:
            out.write(b"\n")
        origin.append(source_line)


def _entry(line: int, reason: str, raw: bytes, dropped: bool, run_id: str) -> bytes:
    """One line of <name>.removed.jsonl: where it was, why, the fix run, and the original line
    byte for byte: a dropped record that is exactly one JSON object is embedded as it was
    written ("record"), anything else is "raw" text, plus "raw_hex" when it is not UTF-8."""
    head = {"line": line, "removed_by": reason, "fix_run": run_id}
    if dropped and raw == raw.strip():
        with contextlib.suppress(orjson.JSONDecodeError, UnicodeDecodeError):
            if isinstance(orjson.loads(raw), dict):
                raw.decode("utf-8")
                return json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "record": ' + raw + b"}"
    text = raw.decode("utf-8", "replace")
    head["raw"] = text
    if text.encode() != raw:
        head["raw_hex"] = raw.hex()
    return json.dumps(head, ensure_ascii=False).encode()


def _removed_entries(work: _Work) -> bytes:
    """The lines to append to <name>.removed.jsonl, in original line order."""
    if not work.aside:
        return b""
    wanted = {n for first, (last, _, _) in work.aside.items() for n in range(first, last + 1)}
    lines = {n: raw for n, raw in zip(range(1, max(wanted) + 1), _lines(work.target, work.max_line_bytes)) if n in wanted}
    entries = []
    for first, (last, reason, dropped) in sorted(work.aside.items()):
        raw = b"\n".join(line if type(line := lines[n]) is bytes else b"" for n in range(first, last + 1))
        entries.append(_entry(first, reason, raw, dropped, work.run_id) + b"\n")
    return b"".join(entries)


def _pinned(linter: Linter, conv: Conventions) -> Linter:
    """A linter whose conventions are `conv` (a file's, as first inferred), so that fixing
    cannot shift them."""
    settings = linter.settings
    pinned = copy.copy(linter)  # the same rules, already selected and configured
    pinned.settings = dataclasses.replace(
        settings,
        task=settings.task or conv.task,
        separator=settings.separator if settings.separator is not None else conv.separator,
        stop=settings.stop if settings.stop is not None else conv.stop,
    )
    return pinned


def _groups(linter: Linter, files: list[FileResult], pin: bool = True) -> list[tuple[Linter, list[FileResult], list[FileResult]]]:
    """How the copies are re-checked: each training file alone with its own conventions, or
    the training file with its validation file, both with the training file's conventions;
    with `one_dataset`, all training files (and the validation files) in one run. `pin`: with
    the conventions the files have now, else inferred afresh (as the next run would)."""
    validation = [f for f in files if f.role == "validation"]
    trains = [f for f in files if f.role == "train"]
    if trains and (linter.one_dataset or (validation and len(trains) == 1)):
        return [(_pinned(linter, trains[0].conventions) if pin else linter, trains, validation)]
    return [(_pinned(linter, f.conventions) if pin else linter, [f], []) for f in trains]


def _drifted(linter: Linter, groups: list[tuple[Linter, list[FileResult], list[FileResult]]], works: dict[str, _Work]) -> bool:
    """Whether a run on the fixed copies would infer other conventions than the ones pinned
    (from the sample the engine infers them from: cheap next to a check)."""
    for _, trains, _ in groups:
        copies = [works[f.path].copy for f in trains]
        sample = [r for copy in copies for r in sample_records(copy, linter.settings.max_line_bytes, len(copies))]
        fresh, pinned = infer(sample, linter.settings.conventions()), trains[0].conventions
        if (fresh.separator, fresh.stop, fresh.task) != (pinned.separator, pinned.stop, pinned.task):
            return True
    return False


def _settled(files: Iterable[FileResult]) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    """What the fix rounds pin, per file: a repeat of an earlier value means the fixes cycle."""
    return tuple(sorted((f.path, f.conventions.separator, f.conventions.stop, f.conventions.task) for f in files))


class FixSite:
    """Where a fix's working copies are made, rewritten, re-checked and written: in this
    process. An engine whose workers do it (``--engine dask --fix --shard-output``) overrides
    the methods; the `_Work` values they take and return pickle, and their files are where
    every worker can reach them."""

    scratch: str | None = None  # the folder of the working copies (None: the system's temporary folder)

    def start(self, works: list[_Work]) -> list[_Work]:
        """Make each work's copy of its target; note the digest of its content (`run_id`)."""
        for work in works:
            work.run_id = _copy_and_digest(work.target, work.copy)
        return works

    def rewrite(self, works: list[_Work], taken: list[dict[int, list[tuple[Diagnostic, Edit]]]]) -> list[_Work]:
        """One round: each work's copy rewritten with its edits (none: unchanged)."""
        for work, edits in zip(works, taken):
            work.changed = False
            if edits:
                _rewrite(work, edits)
        return works

    def recheck(self, groups: list[tuple[Linter, list[FileResult], list[FileResult]]], works: dict[str, _Work]) -> tuple[dict[str, FileResult], list[str]]:
        """The check of the copies, each group in one run with its linter (see `_groups`)."""
        return _recheck(groups, works)

    def commit(self, works: list[_Work], held: FixGuard | None) -> None:
        """Write every fixed file and its removed lines (see `_commit`), after checking that
        none changed since it was read."""
        _commit_all(works, held)

    @staticmethod
    def unchanged(works: list[_Work], held: FixGuard | None) -> None:
        """Raise `FixError` if a file to fix changed since it was read."""
        if held is not None:
            for work in works:
                if work.fixed and (why := held.changed(work.original)):
                    raise FixError(why)


def apply_fixes(
    linter: Linter, result: RunResult, minimum: Applicability, diff_out: TextIO | None, held: FixGuard | None = None,
    codes: Collection[str] | None = None, site: FixSite | None = None,
) -> RunResult:
    """Fix every file of the run (see module docstring); return the result of the final check.
    `held`: the locks and identities taken before the check read the files (see `guard`);
    without it they are taken now. `codes`: only the fixes of these rules (default: all).
    `site`: where the copies are fixed (default: here)."""
    allowed = set(codes if codes is not None else linter.rule_classes)
    files = [f for f in result.files if not f.error and not f.unfixable]  # unfixable: not JSON Lines, unknown format
    if not any(d.code in allowed and applicable(d, minimum) for f in files for d in f.diagnostics + f.fixes_from_elsewhere):
        return result
    if diff_out is None:
        for f in files:
            if _read_only(f.path):
                result.errors.append(f"{f.path}: file is read-only; not fixed")
                return result
    for v in (f for f in files if f.role == "validation"):
        if any(t.role == "train" and os.path.samefile(t.path, v.path) for t in files):
            result.errors.append(f"{v.path}: the validation file is the training file; not fixed")
            return result
    own_guard = held is None and diff_out is None
    if own_guard:
        try:
            held = guard([f.path for f in files])
        except FixError as error:
            result.errors.append(str(error))
            return result
    try:
        return _fix(linter, result, files, minimum, diff_out, held, allowed, site or FixSite())
    finally:
        if own_guard and held is not None:
            held.close()


def _fix(linter: Linter, result: RunResult, files: list[FileResult], minimum: Applicability,
         diff_out: TextIO | None, held: FixGuard | None, allowed: set[str], site: FixSite) -> RunResult:
    groups = _groups(linter, files)
    with tempfiles.temporary_directory(prefix="ftlint-fix-", dir=site.scratch) as scratch:
        started = site.start([_Work(f.path, os.path.realpath(f.path), os.path.join(scratch, f"{i}-{os.path.basename(f.path)}"),
                                    linter.settings.max_line_bytes) for i, f in enumerate(files)])
        works = {work.original: work for work in started}
        current = {f.path: f for f in files}
        errors: list[str] = []
        inferred_afresh = True  # `current` has the conventions the next run would infer (checked afresh once per settling)
        pinned = _settled(files)
        inferred = {f.path: f.conventions for f in files}  # reported: as first inferred, or as the fixes moved them
        pinned_before: set[tuple[tuple[str, str | None, str | None, str | None], ...]] = set()
        for _ in range(MAX_ROUNDS):
            pending = {path: _select(works[path], f.diagnostics + f.fixes_from_elsewhere, minimum, allowed) for path, f in current.items()}
            works.update((w.original, w) for w in site.rewrite([works[path] for path in pending], list(pending.values())))
            if any(w.changed for w in works.values()):
                if pinned in pinned_before:
                    result.errors.append(f"{', '.join(works)}: the fixes do not settle (they move the inferred separator, stop "
                                         "sequence or task back to an earlier one); nothing written (please report this bug)")
                    return result
                current, errors = site.recheck(groups, works)
                inferred_afresh = False
                continue
            if inferred_afresh or not _drifted(linter, groups, works):
                break
            # Settled under the pinned conventions, but the fixes moved what the data says
            # (prompts completed to a longer shared separator): check as the next run would, so
            # that a second --fix finds nothing to do, and go on with what it infers.
            current, errors = site.recheck(_groups(linter, list(current.values()), pin=False), works)
            inferred_afresh = True
            settled = _settled(current.values())
            if settled != pinned:
                pinned_before.add(pinned)
                pinned = settled
                groups = _groups(linter, list(current.values()))
                inferred = {path: f.conventions for path, f in current.items()}
        else:
            lines = sorted({works[path].original_line(line) for path, taken in pending.items() if works[path].changed for line in taken})
            result.errors.append(f"{next(p for p in pending if works[p].changed)}: fixes of line {lines[0]:,} still change it after "
                                 f"{MAX_ROUNDS:,} rounds; nothing written (please report this bug)")
            return result
        if diff_out is not None:
            for work in works.values():
                _write_diff(work, diff_out)
        else:
            site.commit(list(works.values()), held)
    return _final(result, current, inferred, errors, works, diff_out is None)


def _copy_and_digest(source: str, copy: str) -> str:
    """Copy a file; return a digest of its content (decompressed), which marks this content's
    entries in <name>.removed.jsonl."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(copy, "wb") as out:
        while block := src.read(1 << 20):
            digest.update(block)
            out.write(block)
    if is_gzip(copy):
        digest = hashlib.sha256()
        with open_binary(copy) as src:
            while block := src.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()[:16]


def _recheck(groups: list[tuple[Linter, list[FileResult], list[FileResult]]], works: dict[str, _Work]) -> tuple[dict[str, FileResult], list[str]]:
    displays = {w.copy: w.original for w in works.values()}
    checked: dict[str, FileResult] = {}
    errors: list[str] = []
    for pinned, trains, validation in groups:
        run = pinned.run([works[f.path].copy for f in trains], validation=[works[f.path].copy for f in validation], displays=displays)
        checked.update((f.path, f) for f in run.files)
        errors.extend(run.errors)
    return checked, errors


def _final(result: RunResult, current: dict[str, FileResult], inferred: dict[str, Conventions], errors: list[str],
           works: dict[str, _Work], written: bool) -> RunResult:
    """The final check, with the conventions first inferred (or, when the fixes moved them,
    the ones inferred from the fixed files), the fixes counted, and each refused fix's reason
    on the finding that stays."""
    final = dataclasses.replace(result, files=[], errors=result.errors + errors)  # everything else of the run kept
    for original in result.files:
        f = current.get(original.path, original)
        work = works.get(original.path)
        if work is not None:
            f.conventions = inferred.get(original.path, original.conventions)
            f.fixed = dict(work.fixed)
            f.removed_to = removed_path(f.path) if work.aside and written and work.fixed else None
            if work.refused:
                f.diagnostics = [_with_reason(d, work) for d in f.diagnostics]
        final.files.append(f)
    return final


def _with_reason(d: Diagnostic, work: _Work) -> Diagnostic:
    why = work.refused.get((work.original_line(d.location.line), d.code))
    return d if why is None else d._replace(message=f"{d.message} (fix not applied: it could not keep the line exact: {why})")


def _read_only(path: str) -> bool:
    """Not writable by us, or writable by nobody: a file without write permission is refused
    even as root (who may write anything, and often runs CI containers)."""
    return not os.access(path, os.W_OK) or not stat.S_IMODE(os.stat(path).st_mode) & 0o222


# --- commit ---------------------------------------------------------------------------------------

def _commit_all(works: list[_Work], held: FixGuard | None) -> None:
    """Write every fixed file, after checking that none changed since it was read."""
    FixSite.unchanged(works, held)
    for work in works:
        _commit(work, held)


def _commit(work: _Work, held: FixGuard | None) -> None:
    """Stage the fixed copy beside the target (mode and owner kept, fsynced), append what was
    removed to <name>.removed.jsonl (fsynced), then replace the target atomically. If
    anything fails, the append is undone: both files are left as they were."""
    if work.origin is None or not work.fixed:
        return
    entries = _removed_entries(work)
    aside_path = removed_path(work.original)
    before = os.stat(work.target)
    staged = None
    undo: tuple[int, bytes] | None = None
    try:
        handle, staged = tempfile.mkstemp(dir=os.path.dirname(work.target), prefix=".ftlint-fix-")
        tempfiles.register(staged)
        with os.fdopen(handle, "wb") as out, open(work.copy, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fchmod(out.fileno(), stat.S_IMODE(before.st_mode))
            _keep_owner(out.fileno(), before)
            os.fsync(out.fileno())
        if entries:
            undo = _append_entries(aside_path, entries, work.run_id)
        if held is not None and (why := held.changed(work.original)):
            raise FixError(why)
        os.replace(staged, work.target)
        _sync_folder(work.target)
    except BaseException as error:
        if undo is not None:
            _undo_append(aside_path, undo)
        if isinstance(error, OSError) and not isinstance(error, FixError) and error.strerror and error.filename:
            raise FixError(f"{work.original}: not fixed ({error.filename}: {error.strerror}); the file is as it was") from None
        raise
    finally:
        if staged is not None:
            tempfiles.release(staged)


def _keep_owner(handle: int, before: os.stat_result) -> None:
    """The original's owner and group, as far as this process may set them."""
    for uid in (before.st_uid, -1):
        with contextlib.suppress(PermissionError):
            os.fchown(handle, uid, before.st_gid)
            return


def _sync_folder(path: str) -> None:
    with contextlib.suppress(OSError):
        handle = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _append_entries(path: str, entries: bytes, run_id: str) -> tuple[int, bytes]:
    """Append to <name>.removed.jsonl, first removing what an interrupted commit of the same
    content left at its end (its entries, a partly written last one): a rerun never appends
    twice. Returns what undoes it: (size to truncate to, -1: remove the file; bytes to put back)."""
    existed = os.path.exists(path)
    with open(path, "a+b") as aside:
        size = aside.seek(0, os.SEEK_END)
        keep = _interrupted_from(aside, size, f'"fix_run": "{run_id}"'.encode(), entries.split(b"\n"))
        aside.seek(keep)
        undo = (keep, aside.read()) if existed else (-1, b"")
        aside.seek(max(keep - 1, 0))
        lead = b"\n" if keep and aside.read(1) != b"\n" else b""  # never glue an entry to a line of someone else's
        try:
            aside.truncate(keep)
            aside.write(lead + entries)
            aside.flush()
            os.fsync(aside.fileno())
        except BaseException:
            _undo_append(path, undo)
            raise
    return undo


def _interrupted_from(aside: Any, size: int, marker: bytes, entries: list[bytes]) -> int:
    """Where the trailing entries of an interrupted commit of this content (lines with its
    `marker`, and a partly written last line that starts one of `entries`) begin."""
    keep, start, buffer = size, size, b""
    while keep:
        cut = buffer.rfind(b"\n", 0, len(buffer) - 1) if buffer.endswith(b"\n") else buffer.rfind(b"\n")
        if cut < 0 and start:
            begin = max(0, start - (1 << 16))
            aside.seek(begin)
            buffer, start = aside.read(start - begin) + buffer, begin
            continue
        line = buffer[cut + 1 :]
        ours = marker in line if line.endswith(b"\n") else any(e.startswith(line) for e in entries)
        if not ours:
            return keep
        keep -= len(line)
        buffer = buffer[: cut + 1]
    return keep


def _undo_append(path: str, undo: tuple[int, bytes]) -> None:
    """Put <name>.removed.jsonl back as it was (or remove it if it did not exist). Best
    effort: the error that made the commit fail is the one reported."""
    keep, tail = undo
    with contextlib.suppress(OSError):
        if keep < 0:
            os.unlink(path)
            return
        with open(path, "r+b") as aside:
            aside.truncate(keep)
            aside.seek(keep)
            aside.write(tail)


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
        new: list[bytes | int] = []
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


def _diff_text(raw: bytes | int) -> str:
    if isinstance(raw, int):
        return f"<a line of {raw:,} bytes, over max-line-bytes>"
    return escape_controls(raw.decode("utf-8", "replace"))
