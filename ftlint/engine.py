"""The lint run: sample and infer conventions, stream batches through the rules, report."""
from __future__ import annotations

import contextlib
import gc
import gzip
import glob
import multiprocessing
import os
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

from ftlint import conventions as conv_mod
from ftlint import tempfiles
from ftlint.config import Settings, ignored_for, matches, rule_options, select_rules
from ftlint.conventions import Conventions
from ftlint.diagnostics import Diagnostic, Fix, Location, Severity, pack, unpack
from ftlint.engine_rules import ENGINE_RULES
from ftlint.formats import ACCEPTED, FORMATS, UNKNOWN, describe_unknown, foreign_shape, record_formats, sniff, split_by_format
from ftlint.hookspecs import InputReader
from ftlint.reader import (
    BLOCK_BYTES, Batch, Issue, RangeReader, collector_paused, count_lines, is_gzip, iter_blocks, open_binary, parse_lines, partition, sample_records,
)
from ftlint.rule import Context, DatasetRule, Rule
from ftlint.sources import readable_path
from ftlint.walk import walk

DATASET_SUFFIXES = (".jsonl", ".jsonl.gz")
REMOVED_SUFFIX = ".removed.jsonl"  # written by --fix; never linted as a dataset
PARALLEL_MIN_BYTES = 64 << 20  # smaller files are linted in one process
LINES_NAMED = 20  # lines of a format, or of an unknown shape, named in a file-level finding


@dataclass
class FileResult:
    path: str
    role: str = "train"
    records: int = 0
    lines: int = 0
    conventions: Conventions = field(default_factory=Conventions)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None  # an I/O problem: the file could not be read (entirely)
    fixed: dict[str, int] = field(default_factory=dict)  # code -> fixes applied (by --fix)
    removed_to: str | None = None  # where --fix wrote what it removed
    formats: dict[str, int] = field(default_factory=dict)  # records per format they were checked in
    unfixable: str | None = None  # why --fix leaves the file alone (not JSON Lines, unknown format)
    # findings of other files of a dataset (--one-dataset) whose fixes edit this file (a
    # near-duplicate cluster across files): each with its edits of this file only; not reported
    fixes_from_elsewhere: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Veto:
    """A gate plugin's refusal of a run (see the `ftlint_gate` hook)."""

    plugin: str
    message: str


@dataclass
class RunResult:
    files: list[FileResult]
    rules: dict[str, type[Rule]]  # the rules that ran, by code
    errors: list[str] = field(default_factory=list)  # usage and I/O problems
    opt_in_skipped: list[str] = field(default_factory=list)  # opt-in rules not selected, by code
    model: str | None = None  # the configured model (None: the default), for inference advice
    notes: list[str] = field(default_factory=list)  # what directory walks left out
    vetoes: list[Veto] = field(default_factory=list)  # gates that refused the run

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    def exit_code(self, exit_zero: bool = False) -> int:
        if self.errors or any(f.error for f in self.files):
            return 2
        if not exit_zero and (self.vetoes or any(d.severity is Severity.ERROR for d in self.diagnostics)):
            return 1
        return 0


def expand_paths(
    paths: Iterable[str], settings: Settings | None = None, notes: list[str] | None = None, suffixes: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    """Files to lint: files as given, directories walked (`ftlint.walk`: the exclude settings and
    .gitignore files apply below them) for *.jsonl(.gz) and the `suffixes` of input readers.
    Returns (files, errors); what a walk left out is said in `notes`."""
    settings = settings or Settings()
    base = os.path.dirname(settings.source) if settings.source else os.getcwd()
    wanted = DATASET_SUFFIXES + tuple(suffixes)

    def is_input(name: str) -> bool:
        return name.lower().endswith(wanted) and not name.endswith(REMOVED_SUFFIX)

    files: list[str] = []
    errors: list[str] = []
    for path in _globs_expanded(paths, errors):
        if path == "-":
            files.append(path)
        elif os.path.isdir(path):
            found = walk(path, is_input, settings.exclude + settings.extend_exclude, base, settings.respect_gitignore)
            why = [f"{n:,} ignored by .gitignore" for n in [found.ignored] if n] + [f"{n:,} by the exclude settings" for n in [found.excluded] if n]
            skipped = f"skipped {found.ignored + found.excluded:,} dataset{'s' if found.ignored + found.excluded != 1 else ''} ({', '.join(why)})"
            if why and found.files and notes is not None:
                notes.append(f"{path}: {skipped}; a dataset named on the command line is always checked"
                             + (", and --no-respect-gitignore walks git-ignored ones" if found.ignored else ""))
            if not found.files:
                errors.append(f"{path}: directory holds no *.jsonl files" + (f" to check: {skipped}" if why else ""))
            files.extend(found.files)
        elif os.path.exists(path):
            files.append(path)
        else:
            errors.append(f"{path}: no such file or directory")
    return files, errors


def _globs_expanded(paths: Iterable[str], errors: list[str]) -> Iterator[str]:
    """The paths, with a pattern that names no file itself (a quoted glob: a shell expands an
    unquoted one) replaced by what it matches, sorted; one that matches nothing is an error."""
    for path in paths:
        if path == "-" or os.path.exists(path) or not glob.has_magic(path):
            yield path
            continue
        matches = sorted(glob.glob(path, recursive=True))
        if not matches:
            errors.append(f"{path}: no file matches this pattern")
        yield from matches


def _total_size(paths: list[str]) -> int | None:
    """The bytes a run will read, or None when that cannot be foretold (a compressed file, a
    stream, a file that is not there)."""
    try:
        if any(p == "-" or not os.path.isfile(p) or is_gzip(p) for p in paths):
            return None
        return sum(map(os.path.getsize, paths))
    except OSError:
        return None


def is_dataset(name: str) -> bool:
    """Whether a directory walk takes this file name for a dataset (not what --fix set aside)."""
    return name.endswith(DATASET_SUFFIXES) and not name.endswith(REMOVED_SUFFIX)


@dataclass
class _Scan:
    """What scanning one byte range of a file found; ranges merge in file order."""

    states: dict[str, Any]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # rules that crashed: no report
    records: int = 0
    content_lines: int = 0  # lines that are not blank
    last_line: int = 0
    error: str | None = None
    formats: Counter[str] = field(default_factory=Counter)  # records per detected format, unknown included
    format_lines: dict[str, list[int]] = field(default_factory=dict)  # the first LINES_NAMED lines of each
    shapes: Counter[str] = field(default_factory=Counter)  # foreign shapes of the unknown records
    unknown_keys: Counter[str] = field(default_factory=Counter)  # keys of unknown records of no known shape
    judged: Counter[str] = field(default_factory=Counter)  # records per format they were checked in

    def __getstate__(self) -> dict[str, Any]:
        """A worker sends its scan back with the diagnostics packed (see `diagnostics.pack`)."""
        return {**self.__dict__, "diagnostics": pack(self.diagnostics)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, diagnostics=unpack(state["diagnostics"]))

    def absorb(self, later: _Scan, rules: list[DatasetRule]) -> None:
        for rule in rules:
            if rule.code not in self.broken | later.broken:
                self.states[rule.code] = rule.merge(self.states[rule.code], later.states[rule.code])
        self.diagnostics += later.diagnostics
        self.broken |= later.broken
        self.records += later.records
        self.content_lines += later.content_lines
        self.last_line = max(self.last_line, later.last_line)
        self.error = self.error or later.error
        self.formats += later.formats
        for fmt, lines in later.format_lines.items():
            self.format_lines[fmt] = (self.format_lines.get(fmt, []) + lines)[:LINES_NAMED]
        self.shapes += later.shapes
        self.unknown_keys += later.unknown_keys
        self.judged += later.judged

    def note_formats(self, batch: Batch, formats: list[str | None], parts: dict[str, Batch]) -> None:
        """Count the batch's records per detected format and per format they are checked in."""
        counts = Counter(fmt for fmt in formats if fmt is not None)
        for fmt, n in counts.items():
            self.formats[fmt] += n
            kept = self.format_lines.setdefault(fmt, [])
            for line, found in zip(batch.lines, formats):
                if len(kept) >= LINES_NAMED:
                    break
                if found == fmt:
                    kept.append(line)
        if UNKNOWN in counts:
            for value, found in zip(batch.values, formats):
                if found == UNKNOWN:
                    shape = foreign_shape(value)  # type: ignore[arg-type]
                    if shape:
                        self.shapes[shape] += 1
                    elif len(self.unknown_keys) < 1000:
                        self.unknown_keys.update(list(value))  # type: ignore[arg-type]
        for fmt, part in parts.items():
            self.judged[fmt] += len(part) - part.values.count(None)


class Linter:
    """Runs the selected rules over files. Rules are instantiated once with their options.

    The engine's codes (FT0xx) are always there, and their errors run whatever the selection
    says, unless ignored: data that could not be read never passes."""

    def __init__(
        self, rule_classes: dict[str, type[Rule]], settings: Settings, jobs: int = 1,
        input_readers: Mapping[str, InputReader] | None = None,
    ) -> None:
        rule_classes = {**rule_classes, **ENGINE_RULES}
        self.selection = select_rules(settings, rule_classes)  # raises ConfigError on unknown selectors
        self.settings = settings = self.selection.settings
        self.jobs = jobs
        self.input_readers = dict(input_readers or {})  # ".csv" -> read (plugins' file types)
        selected = set(self.selection.codes)
        selected.update(c for c, r in ENGINE_RULES.items() if r.severity is Severity.ERROR and not matches(c, settings.ignore))
        codes = sorted(selected)
        self.rules: list[Rule] = [rule_classes[c](rule_options(rule_classes[c], settings)) for c in codes]
        self.rule_classes = {c: rule_classes[c] for c in codes}
        named = {*(settings.select or ()), *settings.extend_select}
        self.fixes_withheld = {c for c in codes if rule_classes[c].explicit_fix and c not in named}  # see Rule.explicit_fix
        self.progress: Any = None  # a tqdm-like bar: its total set to the bytes to read, updated as they are read
        self.one_dataset = False  # the training files are one dataset (and the validation files another), not one each

    def __getstate__(self) -> dict[str, Any]:
        """What a parallel worker gets: no progress bar (it stays here) and no input readers (a
        worker scans JSONL bytes; a reader may be a lambda, that cannot be pickled)."""
        return {**self.__dict__, "progress": None, "input_readers": {}}

    def run(
        self, paths: list[str], validation: str | Sequence[str] | None = None, stdin_filename: str | None = None,
        displays: dict[str, str] | None = None,
    ) -> RunResult:
        """Lint files; `displays` maps a path read to the name reported (used by --fix on copies).
        Several validation files need `one_dataset`."""
        validations = [validation] if isinstance(validation, str) else list(validation or [])
        if self.one_dataset:
            from ftlint.datasets import run_locally

            return run_locally(self, paths, validations, displays or {})
        if len(validations) > 1:
            return RunResult([], self.rule_classes, ["several --validation files make one dataset only with --one-dataset"])
        validation = validations[0] if validations else None
        displays = dict(displays or {})
        if stdin_filename:
            displays["-"] = stdin_filename
        notes: list[str] = []
        files, errors = expand_paths(paths, self.settings, notes, self.input_readers)
        result = RunResult([], self.rule_classes, errors, self.selection.opt_in_skipped, self.settings.model, notes)
        states: dict[str, Any] | None = None
        paired = validation is not None
        if self.progress is not None:
            self.progress.total = _total_size(files + ([validation] if validation is not None else []))
        read = 0
        for path in files:
            file_result, states = self.lint_file(path, displays.get(path), paired=paired)
            result.files.append(file_result)
            if self.progress is not None and self.progress.total:  # what parallel workers read, at once
                read += os.path.getsize(path)
                self.progress.update(max(0, read - self.progress.n))
        if validation is not None:
            if len(files) != 1:
                result.errors.append("--validation needs exactly one training file")
                return result
            training = result.files[0].conventions
            valid_result, valid_states = self.lint_file(validation, displays.get(validation), role="validation", paired=True, training=training)
            result.files.append(valid_result)
            if states is not None and valid_states is not None and not valid_result.error:
                ctx = self._context(valid_result.path, valid_result.conventions, "validation", paired=True)
                valid_result.diagnostics.extend(self.pair_findings(ctx, states, valid_states, valid_result.formats))
                self._finish(valid_result)
        return result

    def pair_findings(
        self, ctx: Context, train: dict[str, Any], validation: dict[str, Any], judged: dict[str, int], reduced: dict[str, list[Any]] | None = None,
    ) -> list[Diagnostic]:
        """The dataset rules' findings across a training set and its validation set (`ctx`: the
        validation set's); `reduced`: keyed rules' states were split, {code: the buckets'
        `reduce_pair` results} (the states are the rests)."""
        found: list[Diagnostic] = []
        for rule in self._reporting(self._dataset_rules(ctx), judged):
            if reduced is not None and rule.code in reduced:
                call = _from_results(rule.report_pair_reduced, train[rule.code], validation[rule.code], reduced[rule.code], ctx)
                found.extend(self._guarded(rule, 1, ctx, call))
            else:
                found.extend(self._guarded(rule, 1, ctx, rule.report_pair, train[rule.code], validation[rule.code], ctx))
        return found

    def _context(self, display: str, conventions: Conventions, role: str, paired: bool) -> Context:
        return Context(display, conventions, model=self.settings.model, role=role, paired=paired)

    def _active(self, ctx: Context) -> list[Rule]:
        """The rules that run on a file (each on the records of its formats), except rules that
        only compare a training file with its validation file when there is no such pair."""
        return [r for r in self.rules if ctx.paired or not (isinstance(r, DatasetRule) and r.pair_only)]

    def _dataset_rules(self, ctx: Context) -> list[DatasetRule]:
        return [r for r in self._active(ctx) if isinstance(r, DatasetRule)]

    @staticmethod
    def _reporting(rules: list[DatasetRule], judged: dict[str, int]) -> list[DatasetRule]:
        """The dataset rules that report on a file: those that saw records of their formats."""
        return [r for r in rules if r.formats is None or any(judged.get(f) for f in r.formats)]

    def lint_file(
        self, path: str, display: str | None = None, role: str = "train", paired: bool = False,
        training: Conventions | None = None,
    ) -> tuple[FileResult, dict[str, Any] | None]:
        """Lint one file (or "-" for standard input); `paired`: a training file with its
        validation file, or that validation file, which `training` (the training file's
        conventions) is checked with. Returns its result and the dataset rules' states."""
        display = display or path
        read = self.input_readers.get(Path(path).suffix.lower())
        if read is not None:
            return self._lint_input(path, read, display, role, paired, training)
        try:
            with readable_path(path, self.settings.max_stream_bytes) as local:
                return self._lint_local(local, display, role, paired, training)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as error:
            return FileResult(display, role, error=_describe(display, error)), None
        except Exception as error:  # noqa: BLE001 - one file's unexpected failure must not cost the others their findings
            message = f"ftlint failed on this file: {type(error).__name__}: {error}; the file was not checked; please report this bug"
            internal = Diagnostic("FT000", ENGINE_RULES["FT000"].name, Severity.ERROR, message, Location(display, 1))
            result = FileResult(display, role, diagnostics=[internal])
            self._finish(result)
            return result, None

    def _lint_local(
        self, path: str, display: str, role: str, paired: bool, training: Conventions | None = None,
    ) -> tuple[FileResult, dict[str, Any] | None]:
        """`lint_file` on a regular file (a spool for streams)."""
        result = FileResult(display, role)
        with contextlib.ExitStack() as stack:
            try:
                not_jsonl = sniff(path, display)
                if not_jsonl:
                    result.unfixable, result.lines = not_jsonl, _line_count(path)
                    result.diagnostics = self._file_finding("FT014", display, 1, f"{not_jsonl}; --fix leaves it alone")
                    self._finish(result)
                    return result, None
                pool = None
                if self.jobs >= 2 and not is_gzip(path) and os.path.getsize(path) >= PARALLEL_MIN_BYTES:
                    # the workers start (and import the rules) while this process infers the conventions
                    pool = stack.enter_context(worker_pool(self.jobs - 1))
                    for _ in range(self.jobs - 1):
                        pool.submit(_started, self)
                sampled = list(sample_records(path, self.settings.max_line_bytes))
                result.conventions = conv_mod.infer(sampled, self.settings.conventions())
                ranges = [(0, -1)] if pool is None else partition(path, self.jobs)
            except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as error:
                result.error = _describe(display, error)
                return result, None
            mismatch: list[Diagnostic] = []
            if training is not None:  # a validation file is checked with its training file's conventions
                mismatch = self.mismatch_finding(display, conv_mod.differences(result.conventions, training, sampled))
                result.conventions = conv_mod.following(result.conventions, training)
            ctx = self._context(display, result.conventions, role, paired)
            # This process scans the first range (it needs no line count) while workers count
            # the lines before theirs and scan them; measured at 5M records, 4% faster than the
            # other way round (even at 1M).
            futures = [pool.submit(self._scan, path, ctx, *r) for r in ranges[1:]] if pool is not None else []
            scans = [self._scan(path, ctx, *ranges[0])] + [f.result() for f in futures]
        scan = scans[0]
        for later in scans[1:]:
            scan.absorb(later, self._dataset_rules(ctx))
        self.file_findings(result, scan, ctx, scan.states, scan.broken)
        result.diagnostics.extend(mismatch)
        result.diagnostics.extend(self.dataset_findings(ctx, scan.states, scan.broken, result.formats))
        self._finish(result)
        return result, scan.states

    def file_findings(self, result: FileResult, scan: _Scan, ctx: Context, states: dict[str, Any], broken: set[str]) -> None:
        """What a file's scan says of the file: its counts, its findings, an empty file (FT011,
        shown to every rule with the dataset's `states`), its formats (FT013, FT015)."""
        result.records, result.lines, result.error = scan.records, scan.last_line, scan.error
        result.formats = dict(scan.judged)
        result.diagnostics.extend(one_per_convention(scan.diagnostics, scan.content_lines, scan.records))
        if scan.content_lines == 0 and not result.error:
            empty = Batch(result.path, issues=[Issue("FT011", 1, 1, "file is empty: no records")])
            self._check_batch(empty, {}, ctx, self._active(ctx), states, broken, result.diagnostics)
        if not self.settings.format:
            result.diagnostics.extend(self._format_findings(result, scan, result.path))

    def dataset_findings(
        self, ctx: Context, states: dict[str, Any], broken: set[str], judged: dict[str, int], reduced: dict[str, list[Any]] | None = None,
    ) -> list[Diagnostic]:
        """The dataset rules' reports (those that saw records of their formats, and did not
        crash); `reduced`: keyed rules' states were split, {code: the buckets' `reduce`
        results} (the states are the rests)."""
        found: list[Diagnostic] = []
        for rule in self._reporting(self._dataset_rules(ctx), judged):
            if rule.code in broken:
                continue
            if reduced is not None and rule.code in reduced:
                found.extend(self._guarded(rule, 1, ctx, _from_results(rule.report_reduced, states[rule.code], reduced[rule.code], ctx)))
            else:
                found.extend(self._guarded(rule, 1, ctx, rule.report, states[rule.code], ctx))
        return found

    def _format_findings(self, result: FileResult, scan: _Scan, display: str) -> list[Diagnostic]:
        """FT015 for records in no accepted format that were not checked in the file's format,
        FT013 for a file of several formats; the file's format becomes the majority's."""
        known = {f: scan.formats[f] for f in FORMATS if scan.formats[f]}
        unknown = scan.formats[UNKNOWN]
        result.conventions.format = majority_format(scan.formats) or result.conventions.format
        found: list[Diagnostic] = []
        if unknown and sum(scan.judged.values()) < sum(known.values()) + unknown:
            lines = scan.format_lines[UNKNOWN]
            what = describe_unknown(scan.shapes, scan.unknown_keys, unknown, display)
            if known:
                message = f"{unknown:,} records ({_lines(lines, unknown)}) are in no format the fine-tuning API accepts and were not checked: {what}"
            else:
                message = f"no record is in a format the fine-tuning API accepts: {what}. It takes {ACCEPTED}; --fix leaves the file alone"
                result.unfixable = message
            found += self._file_finding("FT015", display, lines[0], message)
        if len(known) > 1:
            majority = max(known, key=known.__getitem__)
            others = sorted((f for f in known if f != majority), key=lambda f: scan.format_lines[f][0])
            minority = [(f, line) for f in others for line in scan.format_lines[f]]
            parts = " and ".join(f"{known[f]:,} {f} record{'s' if known[f] > 1 else ''} ({_lines(scan.format_lines[f], known[f])})" for f in others)
            message = (f"the file mixes formats: {known[majority]:,} {majority} records and {parts}; the API takes "
                       "one format per file (each record was checked in its own format)")
            related = tuple(Location(display, line) for _, line in minority[1:LINES_NAMED])
            found += self._file_finding("FT013", display, min(line for _, line in minority), message, related)
        return found

    def mismatch_finding(self, display: str, differences: list[str]) -> list[Diagnostic]:
        """FT612 when a validation file's own conventions differ from its training file's."""
        if not differences:
            return []
        return self._file_finding("FT612", display, 1, f"the validation file's conventions differ from the training file's: {'; '.join(differences)}")

    def _file_finding(self, code: str, display: str, line: int, message: str, related: tuple[Location, ...] = ()) -> list[Diagnostic]:
        """A file-level engine finding, when its code is selected."""
        rule = self.rule_classes.get(code)
        if rule is None:
            return []
        return [Diagnostic(code, rule.name, rule.severity, message, Location(display, line), None, related)]

    def _lint_input(
        self, path: str, read: InputReader, display: str, role: str, paired: bool, training: Conventions | None,
    ) -> tuple[FileResult, dict[str, Any] | None]:
        """Lint a file an input-reader plugin reads: its records go through a temporary JSONL
        file and the usual path; findings point at the reader's lines and carry no fix (the
        file is not JSONL: fixes cannot be written back)."""
        with contextlib.ExitStack() as stack:
            try:
                jsonl, lines = stack.enter_context(records_as_jsonl(path, read))
            except OSError as error:
                return FileResult(display, role, error=_describe(display, error)), None
            except Exception as error:  # noqa: BLE001 - a plugin's reader failing costs this file only
                message = f"{display}: not read by the input reader for {Path(path).suffix.lower()}: {type(error).__name__}: {error}"
                return FileResult(display, role, error=message), None
            result, states = self.lint_file(jsonl, display, role, paired, training)
        result.lines = lines[-1] if lines else 0
        result.diagnostics[:] = [_relocated(d, lines) for d in result.diagnostics]
        return result, states

    def _scan(self, path: str, ctx: Context, start: int, end: int, base: int = 0) -> _Scan:
        """Run record rules and observe dataset rules over bytes [start, end) (end -1: all),
        each rule on the records of its formats; line n of the file is numbered base + n."""
        active = self._active(ctx)
        forced = self.settings.format
        fallback = ctx.conventions.format if ctx.conventions.format in FORMATS else None
        scan = _Scan(states={r.code: r.new_state() for r in self._dataset_rules(ctx)})
        try:
            line = base + 1 + (count_lines(path, start) if start else 0)  # the first line of the next block
            stream = open_binary(path) if end < 0 else RangeReader(path, start, end)
            with stream, collector_paused():
                for raws, block in iter_blocks(stream, self.settings.max_line_bytes):
                    batch = parse_lines(raws, line, ctx.path, self.settings.max_line_bytes, block)
                    line += len(raws)  # every line of the block, blank ones included (the batch keeps records only)
                    scan.records += len(batch) - batch.values.count(None)
                    scan.content_lines += len(batch) + sum(1 for i in batch.issues if i.code == "FT012")
                    scan.last_line = line - 1
                    formats = [None if v is None else forced for v in batch.values] if forced else batch.derived(record_formats)
                    parts = split_by_format(batch, formats, fallback)
                    scan.note_formats(batch, formats, parts)
                    self._check_batch(batch, parts, ctx, active, scan.states, scan.broken, scan.diagnostics)
                    if self.progress is not None:
                        self.progress.update(len(block) + 1 if block is not None else sum(r if isinstance(r, int) else len(r) + 1 for r in raws))
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as error:
            scan.error = _describe(ctx.path, error)
        return scan

    def _check_batch(
        self, batch: Batch, parts: dict[str, Batch], ctx: Context, active: list[Rule], states: dict[str, Any], broken: set[str], out: list[Diagnostic],
    ) -> None:
        """Run each rule on the whole batch (rules for any format) or on the records of each of
        its formats (`parts`, from `split_by_format`)."""
        for rule in active:
            targets = [batch] if rule.formats is None else [parts[f] for f in FORMATS if f in rule.formats and f in parts]
            for target in targets:
                if rule.code in broken:
                    break
                line = target.lines[0] if target.lines else 1
                found = self._guarded(rule, line, ctx, rule.check, target, ctx)
                if isinstance(rule, DatasetRule) and not (found and found[-1].code == "FT000"):
                    found += self._guarded(rule, line, ctx, _observed, rule, states[rule.code], target, ctx)
                if found and found[-1].code == "FT000":
                    broken.add(rule.code)
                out.extend(found)

    @staticmethod
    def _guarded(rule: Rule, line: int, ctx: Context, call: Callable[..., Iterable[Diagnostic]], *args: Any) -> list[Diagnostic]:
        """Run a rule's method; a crash becomes one FT000 diagnostic instead of ending the run."""
        try:
            return list(call(*args))
        except Exception as error:  # noqa: BLE001 - a rule's bug must not stop the other rules
            message = f"rule {rule.code} ({rule.name}) crashed near this line: {type(error).__name__}: {error}; please report this bug"
            return [Diagnostic("FT000", "internal-error", Severity.ERROR, message, Location(ctx.path, line))]

    def _finish(self, result: FileResult) -> None:
        ignored = ignored_for(self.settings, result.path)
        if ignored:
            result.diagnostics[:] = [d for d in result.diagnostics if not matches(d.code, ignored)]
        if self.fixes_withheld:
            result.diagnostics[:] = [d._replace(fix=None) if d.code in self.fixes_withheld else d for d in result.diagnostics]
            result.fixes_from_elsewhere[:] = [d for d in result.fixes_from_elsewhere if d.code not in self.fixes_withheld]
        result.diagnostics.sort(key=Diagnostic.sort_key)


def _started(linter: Linter) -> None:
    """A worker's first task: unpickling the linter imports what its scans need."""


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Processes for scans. Spawn, not fork: forked workers ran 2-3x slower here (copy-on-write
    of the parent's heap). A worker lives for one scan, so it never runs the cyclic collector,
    which would traverse all its live objects once it is done."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=gc.disable)


def one_per_convention(diagnostics: list[Diagnostic], content_lines: int, records: int) -> list[Diagnostic]:
    """The file's diagnostics with a convention used throughout reported once, like yamllint's
    `new-lines`: CRLF on every line (FT010), a blank line after every record (FT005). The one
    finding carries every line's fix; a file that mixes them keeps its per-line findings."""
    crlf = [d for d in diagnostics if d.code == "FT010"]
    blanks = [d for d in diagnostics if d.code == "FT005"]
    throughout: list[tuple[list[Diagnostic], str, str]] = []
    if len(crlf) > 1 and len(crlf) >= content_lines:
        throughout.append((crlf, f"CRLF line endings throughout ({len(crlf):,} lines)", "Use LF line endings"))
    single = all(d.fix is not None and d.fix.edits[0].span == 1 for d in blanks)
    if len(blanks) > 1 and single and len(blanks) >= records - 1:
        throughout.append((blanks, f"a blank line after every record ({len(blanks):,} blank lines)", "Remove the blank lines"))
    if not throughout:
        return diagnostics
    merged = {id(d) for found, _, _ in throughout for d in found}
    kept = [d for d in diagnostics if id(d) not in merged]
    for found, message, title in throughout:
        first = found[0]
        edits = tuple(edit for d in found if d.fix is not None for edit in d.fix.edits)
        fix = Fix(title, edits, first.fix.applicability) if first.fix is not None else None
        kept.append(first._replace(message=message, fix=fix))
    return kept


def _line_count(path: str) -> int:
    """The number of lines of a file (a last line without a newline counts)."""
    lines, last = 0, b"\n"
    with open_binary(path) as stream:
        while block := stream.read(BLOCK_BYTES):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def majority_format(formats: Counter[str]) -> str | None:
    """The format of most records, when records in known formats are at least half of them."""
    known = {f: formats[f] for f in FORMATS if formats[f]}
    return max(known, key=known.__getitem__) if known and sum(known.values()) >= formats[UNKNOWN] else None


def _lines(lines: list[int], count: int) -> str:
    """`lines 3, 9, 12` for the lines named, with how many more there are."""
    named = ", ".join(map(str, lines))
    more = f" and {count - len(lines):,} more" if count > len(lines) else ""
    return f"line{'s' if count > 1 else ''} {named}{more}"


class Crashed(NamedTuple):
    """What a keyed rule's `split` or `reduce` raised where it ran (another process or machine),
    in place of its result: the report raises it again, to be reported as the rule's crash."""

    error: str


def _from_results(report: Callable[..., Iterable[Diagnostic]], *args: Any) -> Callable[[], Iterable[Diagnostic]]:
    """A keyed rule's report from its rests and results, raising first if any of them is `Crashed`."""
    def call() -> Iterable[Diagnostic]:
        for value in (*args[:-2], *args[-2]):
            if isinstance(value, Crashed):
                raise RuntimeError(value.error)
        return report(*args)
    return call


def _observed(rule: DatasetRule, state: Any, batch: Batch, ctx: Context) -> tuple[()]:
    """`rule.observe` as a check that finds nothing (for `Linter._guarded`)."""
    rule.observe(state, batch, ctx)
    return ()


@contextlib.contextmanager
def records_as_jsonl(path: str, read: InputReader) -> Iterator[tuple[str, list[int]]]:
    """The records an input reader reads from `path`, as a temporary JSONL file (removed
    afterwards), with the line each record reports."""
    with tempfiles.temporary_file(prefix="ftlint-input-", suffix=".jsonl") as (handle, jsonl):
        with os.fdopen(handle, "wb") as out:
            lines = write_records(read(path), out)
        yield jsonl, lines


def write_records(records: Iterable[tuple[int, bytes]], out: BinaryIO) -> list[int]:
    """Write an input reader's records as JSONL lines; return the line each one reports."""
    lines: list[int] = []
    for line, record in records:
        if type(line) is not int or line < 1 or (lines and line <= lines[-1]):
            raise ValueError(f"input reader gave line {line!r} after {lines[-1] if lines else 0}: lines must increase from 1")
        if not isinstance(record, bytes) or b"\n" in record:
            raise ValueError(f"input reader gave {type(record).__name__} for line {line}, not one JSON object as bytes without newline")
        out.write(record + b"\n")
        lines.append(line)
    return lines


def _relocated(d: Diagnostic, lines: list[int]) -> Diagnostic:
    """A diagnostic of the temporary JSONL file, at the reader's line and without its fix."""

    def moved(location: Location) -> Location:
        return location._replace(line=lines[location.line - 1]) if 0 < location.line <= len(lines) else location

    return d._replace(location=moved(d.location), fix=None, related=tuple(map(moved, d.related)))


def _describe(path: str, error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{path}: {error.strerror}"
    if isinstance(error, EOFError):
        return f"{path}: compressed stream ended early (truncated .gz file)"
    return f"{path}: {error}"
