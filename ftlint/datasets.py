"""One dataset in many files (`--one-dataset`), and a check split into work that runs anywhere.

A `Plan` checks the datasets of a run in steps whose arguments and results pickle, so that an
engine (the `ftlint_get_engines` hook; Dask in `ftlint_plugins.dask`) can run them in other
processes or on other machines. The local engine runs the same steps here (`run_locally`):

1. `survey(k, local)` for each file k: is it JSON Lines, and the records its conventions are
   inferred from (`local`: where the engine has file k, a path on the machine running the step);
2. `partitions(surveys, splits)`: each dataset's conventions, inferred from the samples of all
   its files; each dataset's work as `Part`s (whole files, or byte ranges of large plain
   files when `splits` > 1), in file order. Ship the plan to workers after this step;
3. `scan(part, local)` -> a `Partial`; `merge(a, b)` the partials of two consecutive runs of
   parts of one dataset (associative: any tree of merges gives the same result);
   `finish(merged)`, one merged partial per dataset (None: nothing scanned) -> the `RunResult`.

An engine that would rather not merge the keyed rules' states (`DatasetRule.keyed`: the
near-duplicate rules' signatures) on one machine splits each scanned partial first:
`split(partial, buckets)` -> the partial with those states' rests (merged as above) and, per key
bucket, {code: part}; `reduce(parts)` one bucket's parts of every dataset (per partial, in file
order) -> {(dataset, code): result}, (PAIR, code) for a training set and its validation set;
`finish(merged, reduced)` with every bucket's results.

In a dataset of several files, rules see line (k + 1) * LINE_STRIDE + n for line n of file k
(`Context.files`), so their states tell the files apart; `finish` puts every finding back at
its file and line.
"""
from __future__ import annotations

import copy
import functools
import gzip
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Protocol, runtime_checkable

from ftlint import conventions as conv_mod
from ftlint.conventions import Conventions
from ftlint.diagnostics import Diagnostic, Location, Severity
from ftlint.engine import (
    PARALLEL_MIN_BYTES, Crashed, FileResult, Linter, RunResult, _describe, _line_count, _Scan, expand_paths, majority_format, worker_pool,
)
from ftlint.files import is_gzip, partition
from ftlint.formats import sniff
from ftlint.rule import LINE_STRIDE, Context
from ftlint.sampling import sample_records
from ftlint.sources import is_stream

if TYPE_CHECKING:
    import argparse

    from ftlint.fixes import FixSite


@dataclass
class Survey:
    """What the first look at a file found."""

    sample: list[Any] = field(default_factory=list)  # records to infer conventions from
    size: int | None = None  # bytes of a plain file; None: compressed
    not_jsonl: str | None = None  # what the file is instead (FT014)
    lines: int = 0  # lines of a file that is not JSON Lines
    error: str | None = None  # the file could not be read


@dataclass(frozen=True)
class Part:
    """Bytes [start, end) of file `file` (end -1: to its end), in dataset `dataset`."""

    dataset: int
    file: int
    start: int = 0
    end: int = -1


@dataclass
class Partial:
    """What scanning consecutive parts of a dataset found: the dataset rules' states, and the
    scan of each file (without states), in file order."""

    dataset: int
    states: dict[str, Any]
    broken: set[str]  # dataset rules that crashed: no report
    scans: list[tuple[int, _Scan]]


PAIR = -1  # `Plan.reduce`'s dataset number of the results of a training set with its validation set


class EngineError(Exception):
    """A check a plan or an engine cannot run (standard input, an input reader's file type, a
    scheduler that cannot be reached): the message says why; ``ftlint check`` exits 2."""


class Plan:
    """The datasets of one check: `files` (paths, or URLs an engine reads) with their `roles`,
    grouped into `datasets` (file numbers; a validation dataset, last, pairs with the only
    training dataset)."""

    def __init__(self, linter: Linter, train: list[str], validation: list[str], one_dataset: bool, displays: dict[str, str] | None = None) -> None:
        self.linter = linter
        train, validation = list(dict.fromkeys(train)), list(dict.fromkeys(validation))
        for path in train + validation:
            if is_stream(path) or os.path.splitext(path)[1].lower() in linter.input_readers:
                raise EngineError(f"{path}: one dataset of several files, and other engines, read JSONL files (.jsonl, .jsonl.gz) only")
        if not one_dataset and (len(validation) > 1 or (validation and len(train) != 1)):
            raise EngineError("--validation needs exactly one training file, or --one-dataset")
        self.files = train + validation
        self.roles = ["train"] * len(train) + ["validation"] * len(validation)
        self.displays = [(displays or {}).get(p, p) for p in self.files]
        trains = [list(range(len(train)))] if one_dataset else [[k] for k in range(len(train))]
        self.datasets = [d for d in trains if d] + ([list(range(len(train), len(self.files)))] if validation else [])
        self.paired = bool(validation)
        self.names = tuple(self.displays) if any(len(d) > 1 for d in self.datasets) else ()
        self.conventions: list[Conventions] = []  # per dataset (`partitions`)
        self.surveys: list[Survey] = []  # per file, without samples (`partitions`)
        self.mismatch: list[str] = []  # how the validation set's own conventions differ from the training set's (FT612)
        self.errors: list[str] = []  # of the run: inputs not found
        self.notes: list[str] = []  # what directory walks left out

    @classmethod
    def build(cls, linter: Linter, paths: list[str], validation: list[str], one_dataset: bool, displays: dict[str, str] | None = None) -> Plan:
        """A plan of the files named or found below the directories named (URLs, with ``://``,
        are taken as they are); files that are not there are errors of the run."""
        errors: list[str] = []
        notes: list[str] = []

        def files(given: list[str]) -> list[str]:
            found = []
            for path in given:
                if "://" in path:
                    found.append(path)
                else:
                    local, missing = expand_paths([path], linter.settings, notes, linter.input_readers)
                    found += local
                    errors.extend(missing)
            return found

        plan = cls(linter, files(paths), files(validation), one_dataset, displays)
        plan.errors, plan.notes = errors, notes
        return plan

    def context(self, dataset: int, k: int) -> Context:
        """What the rules know while they look at file k of a dataset."""
        role = self.roles[self.datasets[dataset][0]]
        return Context(self.displays[k], self.conventions[dataset], model=self.linter.settings.model, role=role,
                       paired=self.paired, files=self.names)

    def survey(self, k: int, local: str) -> Survey:
        display = self.displays[k]
        try:
            not_jsonl = sniff(local, display)
            if not_jsonl:
                return Survey(not_jsonl=not_jsonl, lines=_line_count(local))
            files = len(next(d for d in self.datasets if k in d))
            return Survey(sample_records(local, self.linter.settings.max_line_bytes, files), None if is_gzip(local) else os.path.getsize(local))
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as error:
            return Survey(error=_describe(display, error))

    def partitions(self, surveys: list[Survey], splits: int = 1) -> list[list[Part]]:
        """Infer each dataset's conventions; the parts to scan, per dataset. With fewer files
        than `splits` (the workers), a plain local file of PARALLEL_MIN_BYTES or more is split
        into `splits` byte ranges (a range's worker counts the lines before it)."""
        settings = self.linter.settings.conventions()
        self.conventions = [conv_mod.infer([r for k in files for r in surveys[k].sample], settings) for files in self.datasets]
        if self.paired and len(self.datasets) == 2:  # the validation set is checked with the training set's conventions
            training, own = self.conventions
            self.mismatch = conv_mod.differences(own, training, [r for k in self.datasets[1] for r in surveys[k].sample])
            self.conventions[1] = conv_mod.following(own, training)
        self.surveys = [replace(s, sample=[]) for s in surveys]
        parts = []
        splits = splits if len(self.files) < splits else 1
        for d, files in enumerate(self.datasets):
            mine = []
            for k in files:
                survey = surveys[k]
                if survey.error or survey.not_jsonl:
                    continue
                large = survey.size is not None and survey.size >= PARALLEL_MIN_BYTES and os.path.isfile(self.files[k])
                mine += [Part(d, k, start, end) for start, end in (partition(self.files[k], splits) if splits > 1 and large else [(0, -1)])]
            parts.append(mine)
        return parts

    def _base(self, k: int) -> int:
        return (k + 1) * LINE_STRIDE if self.names else 0

    def scan(self, part: Part, local: str) -> Partial:
        scan = self.linter._scan(local, self.context(part.dataset, part.file), part.start, part.end, self._base(part.file))
        states, scan.states = scan.states, {}
        return Partial(part.dataset, states, set(scan.broken), [(part.file, scan)])

    def merge(self, a: Partial, b: Partial) -> Partial:
        """a followed by b (both of one dataset); a is reused."""
        skip = a.broken | b.broken
        for rule in self.linter._dataset_rules(self.context(a.dataset, self.datasets[a.dataset][0])):
            if rule.code not in skip:
                a.states[rule.code] = rule.merge(a.states[rule.code], b.states[rule.code])
        a.broken |= b.broken
        later = b.scans
        if a.scans[-1][0] == later[0][0]:
            a.scans[-1][1].absorb(later[0][1], [])
            later = later[1:]
        a.scans += later
        return a

    def keyed(self) -> bool:
        """Whether a keyed dataset rule runs (see `split`)."""
        return any(rule.keyed for d, files in enumerate(self.datasets) for rule in self.linter._dataset_rules(self.context(d, files[0])))

    def split(self, partial: Partial, buckets: int) -> tuple[Partial, list[dict[str, Any]]]:
        """The partial with each keyed rule's state replaced by its rest, and per key bucket
        {code: that state's part of the bucket} (`DatasetRule.split`)."""
        ctx = self.context(partial.dataset, self.datasets[partial.dataset][0])
        parts: list[dict[str, Any]] = [{} for _ in range(buckets)]
        for rule in self.linter._dataset_rules(ctx):
            if not rule.keyed or rule.code in partial.broken:
                continue
            try:
                partial.states[rule.code], pieces = rule.split(partial.states[rule.code], buckets, ctx)
            except Exception as error:  # noqa: BLE001 - a rule's bug must not stop the other rules
                message = f"rule {rule.code} ({rule.name}) crashed splitting its state: {type(error).__name__}: {error}; please report this bug"
                partial.scans[0][1].diagnostics.append(Diagnostic("FT000", "internal-error", Severity.ERROR, message, Location(ctx.path, 1)))
                partial.broken.add(rule.code)
                continue
            for bucket, piece in zip(parts, pieces):
                bucket[rule.code] = piece
        return partial, parts

    def reduce(self, parts: list[list[dict[str, Any]]]) -> dict[tuple[int, str], Any]:
        """One key bucket: per dataset, its partials' parts of the bucket (in file order)
        merged and reduced by each keyed rule ({(dataset, code): result}), and the training
        set's and validation set's reduced together ({(PAIR, code): result})."""
        results: dict[tuple[int, str], Any] = {}
        merged: list[dict[str, Any]] = []
        for d, partials in enumerate(parts):
            ctx = self.context(d, self.datasets[d][0])
            whole: dict[str, Any] = {}
            for rule in self.linter._dataset_rules(ctx):
                pieces = [p.get(rule.code) for p in partials]
                if not rule.keyed or not pieces or None in pieces:
                    continue  # crashed in a partition: not reported
                whole[rule.code] = functools.reduce(rule.merge, pieces)
                if not rule.pair_only:
                    results[(d, rule.code)] = _reduced(rule.reduce, whole[rule.code], ctx)
            merged.append(whole)
        if self.paired and len(merged) == 2:
            ctx = self.context(1, self.datasets[1][0])
            for rule in self.linter._dataset_rules(ctx):
                if rule.code in merged[0] and rule.code in merged[1]:
                    results[(PAIR, rule.code)] = _reduced(rule.reduce_pair, merged[0][rule.code], merged[1][rule.code], ctx)
        return results

    def finish(self, merged: list[Partial | None], reduced: list[dict[tuple[int, str], Any]] | None = None) -> RunResult:
        """The run's result from each dataset's merged partial (and, when they were split,
        every key bucket's `reduce` results)."""
        linter = self.linter
        result = RunResult([], linter.rule_classes, list(self.errors), linter.selection.opt_in_skipped, linter.settings.model, list(self.notes))
        results = {k: FileResult(self.displays[k], self.roles[k], conventions=copy.copy(self.conventions[d]))
                   for d, files in enumerate(self.datasets) for k in files}
        judged: list[Counter[str]] = []
        firsts: list[int | None] = []  # each dataset's first file scanned: its dataset-level findings go there
        for d, files in enumerate(self.datasets):
            partial = merged[d]
            scans = dict(partial.scans) if partial is not None else {}
            firsts.append(next((k for k in files if k in scans), None))
            seen: Counter[str] = Counter()
            formats: Counter[str] = Counter()
            for k in files:
                f, survey = results[k], self.surveys[k]
                if survey.error:
                    f.error = survey.error
                elif survey.not_jsonl:
                    f.unfixable, f.lines = survey.not_jsonl, survey.lines
                    f.diagnostics = linter._file_finding("FT014", f.path, 1, f"{survey.not_jsonl}; --fix leaves it alone")
                elif partial is not None and k in scans:
                    scan = self._numbered_in_file(scans[k], k)
                    linter.file_findings(f, scan, self.context(d, k), partial.states, partial.broken)
                    f.diagnostics[:] = map(self._placed, f.diagnostics)
                    seen.update(scan.judged)
                    formats.update(scan.formats)
            judged.append(seen)
            first = firsts[-1]
            if partial is None or first is None:
                continue
            if not linter.settings.format:
                self.conventions[d].format = majority_format(formats) or self.conventions[d].format
            found = linter.dataset_findings(self.context(d, first), partial.states, partial.broken, dict(seen), _results_of(reduced, d))
            self._place(found, results, first)
        if self.paired and len(self.datasets) == 2:  # a training set and its validation set
            train, validation, first = merged[0], merged[1], firsts[1]
            if first is not None:
                results[first].diagnostics += linter.mismatch_finding(results[first].path, self.mismatch)
            readable = not any(results[k].error for k in self.datasets[1])
            if train is not None and validation is not None and first is not None and readable:
                found = linter.pair_findings(self.context(1, first), train.states, validation.states, dict(judged[1]), _results_of(reduced, PAIR))
                self._place(found, results, first)
        for k in range(len(self.files)):
            linter._finish(results[k])
            result.files.append(results[k])
        return result

    def fix_copies(self, result: RunResult, copies: dict[str, str], unsafe: bool, site: FixSite | None = None) -> RunResult:
        """Apply the fixes of this plan's `result` to copies of its files (`copies`: the name
        reported -> its copy, made by the engine), as ``--fix`` does in place, and return the
        check of the fixed copies (what fixes remove goes to each copy's .removed.jsonl).
        `site`: where the copies are rewritten, re-checked and written (default: here)."""
        from ftlint.diagnostics import Applicability
        from ftlint.fixes import apply_fixes

        def moved(location: Location) -> Location:
            return location._replace(path=copies.get(location.path, location.path))

        for f in result.files:
            f.diagnostics = [d._replace(location=moved(d.location), related=tuple(map(moved, d.related))) for d in f.diagnostics]
            f.fixes_from_elsewhere = [d._replace(location=moved(d.location)) for d in f.fixes_from_elsewhere]
            f.path = copies.get(f.path, f.path)
        return apply_fixes(self.linter, result, Applicability.UNSAFE if unsafe else Applicability.SAFE, diff_out=None, site=site)

    def _numbered_in_file(self, scan: _Scan, k: int) -> _Scan:
        """The scan of file k with its own line numbers (for its counts and file-level findings)."""
        base = self._base(k)
        if base:
            scan.last_line = scan.last_line - base if scan.last_line else 0
            scan.format_lines = {f: [line - base for line in lines] for f, lines in scan.format_lines.items()}
        return scan

    def _placed(self, d: Diagnostic) -> Diagnostic:
        """A finding at its file and line (lines of a dataset of several files are numbered file by file)."""
        if not self.names:
            return d

        def at(location: Location) -> Location:
            k, line = divmod(location.line, LINE_STRIDE)
            return location._replace(path=self.displays[k - 1], line=line) if k else location

        fix = d.fix and d.fix._replace(edits=tuple(e._replace(line=e.line % LINE_STRIDE) for e in d.fix.edits))
        return d._replace(location=at(d.location), related=tuple(map(at, d.related)), fix=fix)

    def _place(self, found: list[Diagnostic], results: dict[int, FileResult], default: int) -> None:
        """Findings of a dataset, each to its file's result (else to file `default`'s). A fix
        that edits lines of several files keeps the edits of its finding's file; the others go
        to their files with the finding (`FileResult.fixes_from_elsewhere`)."""
        by_path = {f.path: f for f in results.values()}
        for d in found:
            home = d.location.line // LINE_STRIDE
            if self.names and d.fix is not None and any(e.line // LINE_STRIDE != home for e in d.fix.edits):
                for k in sorted({e.line // LINE_STRIDE for e in d.fix.edits} - {home}):
                    edits = tuple(e for e in d.fix.edits if e.line // LINE_STRIDE == k)
                    results[k - 1].fixes_from_elsewhere.append(self._placed(d._replace(fix=d.fix._replace(edits=edits))))
                d = d._replace(fix=d.fix._replace(edits=tuple(e for e in d.fix.edits if e.line // LINE_STRIDE == home)))
            d = self._placed(d)
            by_path.get(d.location.path, results[default]).diagnostics.append(d)


def _reduced(reduce: Callable[..., Any], *args: Any) -> Any:
    """A keyed rule's `reduce` or `reduce_pair`; what it raises becomes its `Crashed` result."""
    if any(isinstance(a, Crashed) for a in args):
        return next(a for a in args if isinstance(a, Crashed))
    try:
        return reduce(*args)
    except Exception as error:  # noqa: BLE001 - reported as the rule's crash, like its report's
        return Crashed(f"{type(error).__name__}: {error}")


def _results_of(reduced: list[dict[tuple[int, str], Any]] | None, dataset: int) -> dict[str, list[Any]] | None:
    """{code: every bucket's result} of one dataset (or PAIR)."""
    if reduced is None:
        return None
    codes = {code for bucket in reduced for d, code in bucket if d == dataset}
    return {code: [bucket[(dataset, code)] for bucket in reduced if (dataset, code) in bucket] for code in codes}


def run_locally(linter: Linter, paths: list[str], validation: list[str], displays: dict[str, str]) -> RunResult:
    """`Linter.run` with `one_dataset`: the plan's steps, the scans in `linter.jobs` worker
    processes when there are PARALLEL_MIN_BYTES to read (or compressed files), each merged here
    as soon as it and those before it are done."""
    try:
        plan = Plan.build(linter, paths, validation, True, displays)
    except EngineError as error:
        return RunResult([], linter.rule_classes, [str(error)])
    surveys = [plan.survey(k, path) for k, path in enumerate(plan.files)]
    groups = plan.partitions(surveys, linter.jobs)
    parts = [part for group in groups for part in group]
    merged: list[Partial | None] = [None] * len(groups)

    def add(partial: Partial) -> None:
        done = merged[partial.dataset]
        merged[partial.dataset] = partial if done is None else plan.merge(done, partial)

    sizes = [s.size for s in surveys]
    if linter.progress is not None and None not in sizes:
        linter.progress.total = sum(s or 0 for s in sizes)
    if linter.jobs > 1 and len(parts) > 1 and sum(s or PARALLEL_MIN_BYTES for s in sizes) >= PARALLEL_MIN_BYTES:
        with worker_pool(min(linter.jobs, len(parts))) as pool:
            for part, future in [(part, pool.submit(plan.scan, part, plan.files[part.file])) for part in parts]:
                add(future.result())
                if linter.progress is not None:  # the workers' bytes, as each part is done
                    linter.progress.update((sizes[part.file] or 0 if part.end < 0 else part.end) - part.start)
    else:
        for part in parts:
            add(plan.scan(part, plan.files[part.file]))
    return plan.finish(merged)


PlanFactory = Callable[[list[str], list[str]], Plan]
"""``plan(paths, validation)``: the `Plan` of the training and validation files of a check, with
its rules and settings (paths may be URLs, which the engine reads)."""


@runtime_checkable
class Engine(Protocol):
    """Runs checks somewhere other than this process: ``ftlint check --engine NAME``."""

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Add the engine's own options to ``ftlint check`` (e.g. where its cluster is)."""

    def run(self, plan: PlanFactory, args: argparse.Namespace) -> RunResult:
        """Check ``args.paths`` (and ``args.validation``, a list): make the plan, run its steps,
        return ``plan.finish(...)``. Raise `EngineError` for what cannot be run."""
