"""Rule base classes. A rule is a class with a code, a kebab-case name, a severity and a
docstring (What it does / Why / Example / Fix) that is its documentation.

Two kinds, both supported by the engine:
  - `Rule.check(batch, ctx)` looks at a batch of records and yields diagnostics;
  - `DatasetRule` keeps small mergeable state: `observe` each batch into a state, `merge` two
    partial states (from two partitions), then `report` once the whole file was seen, and
    `report_pair` for a training file and its validation file. A rule whose state is mostly
    keyed records (hashes, band keys) may be `keyed`: an engine that spreads a dataset over
    machines then splits the states by key bucket and reduces each bucket where it is, instead
    of merging the whole state on one machine (see `DatasetRule`).
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator

from ftlint.conventions import Conventions
from ftlint.diagnostics import Diagnostic, Fix, Location, Severity
from ftlint.reader import Batch

if TYPE_CHECKING:
    import tiktoken

    from ftlint.tokens import ModelInfo

CODE = re.compile(r"[A-Z]{1,8}[0-9]{3,4}")
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
FORMATS = frozenset({"prompt-completion", "chat", "preference"})
LINE_STRIDE = 1 << 40  # line numbers of one file of a dataset of several files (see `Context.files`)


@dataclass
class Context:
    """What a rule may know besides the records: the file, its role, the dataset's conventions."""

    path: str
    conventions: Conventions
    model: str | None = None
    role: str = "train"  # or "validation"
    paired: bool = False  # a training file linted with its validation file, or that validation file
    # A dataset of several files (--one-dataset): their names, and lines are numbered file by
    # file: line (k + 1) * LINE_STRIDE + n is line n of files[k] (see `line_name`).
    files: tuple[str, ...] = ()

    def line_name(self, line: int) -> str:
        """How a message names a line: ``1,234``, or ``shard-03.jsonl:1,234`` in a dataset of
        several files. Locations need no such care: the engine puts each at its file."""
        number, line = divmod(line, LINE_STRIDE)
        return f"{self.files[number - 1]}:{line:,}" if number else f"{line:,}"

    @cached_property
    def model_info(self) -> ModelInfo:
        """The model whose limits and encoding apply: `model` from the config or `--model`, else
        ftlint's default (davinci, the legacy guide's models)."""
        from ftlint import tokens

        return tokens.model_for(self.model, self.conventions.format)

    @cached_property
    def encoding(self) -> tiktoken.Encoding:
        """The tiktoken encoding of the model, or of the format's default model (loaded offline on
        first use)."""
        from ftlint import tokens

        return tokens.get_encoding(self.model_info.encoding)


# Messages and pointers repeat from finding to finding ("prompt does not end with the separator
# ..."): diagnostics keep one string of each instead of one per finding (about 100 bytes each, and
# a worker pickles a shared string once). Bounded: cleared when it holds this many texts.
_SHARED_TEXTS: dict[str, str] = {}
_SHARED_TEXTS_MAX = 4096


class Rule:
    """Base of every rule. Subclasses set `code`, `name`, `severity` and a docstring."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    formats: ClassVar[frozenset[str] | None] = None  # formats the rule applies to; None: all
    Options: ClassVar[type | None] = None  # a dataclass of options with defaults
    # Opt-in rules are not in the default selection: they run when select or extend-select
    # names them (ALL, a prefix, their code or name).
    opt_in: ClassVar[bool] = False
    # A rule whose findings carry their fix only when the selection names the rule by its code or
    # name (not by a prefix or ALL): a fix too sweeping to come with a wide selection.
    explicit_fix: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return  # an intermediate base class
        problems = []
        if not CODE.fullmatch(cls.code):
            problems.append(f"code {cls.code!r} is not like FT123")
        if not isinstance(getattr(cls, "name", None), str) or not NAME.fullmatch(cls.name):
            problems.append("name must be kebab-case")
        if not isinstance(getattr(cls, "severity", None), Severity):
            problems.append("severity must be a Severity")
        if not (cls.__doc__ or "").strip():
            problems.append("a docstring (What it does / Why / Example) is required")
        if cls.formats is not None and not cls.formats <= FORMATS:
            problems.append(f"formats must be within {sorted(FORMATS)}")
        if problems:
            raise TypeError(f"rule {cls.__qualname__}: " + "; ".join(problems))

    def __init__(self, options: Any = None) -> None:
        self.options = options if options is not None else (self.Options() if self.Options else None)

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.documentation().split("\n\n")[0].replace("\n", " ")

    def applies_to(self, fmt: str) -> bool:
        return self.formats is None or fmt in self.formats

    def check(self, batch: Batch, ctx: Context) -> Iterable[Diagnostic]:
        """Yield diagnostics for a batch of records. Default: none."""
        return ()

    def diagnostic(
        self,
        ctx: Context,
        line: int,
        message: str,
        *,
        column: int = 1,
        pointer: str = "",
        fix: Fix | None = None,
        related: tuple[Location, ...] = (),
        severity: Severity | None = None,
    ) -> Diagnostic:
        shared = _SHARED_TEXTS
        if len(shared) > _SHARED_TEXTS_MAX:
            shared.clear()
        return Diagnostic(
            self.code, self.name, severity or self.severity, shared.setdefault(message, message),
            Location(ctx.path, line, column, shared.setdefault(pointer, pointer)), fix, related,
        )


class DatasetRule(Rule):
    """A rule that needs the whole dataset: observe -> merge -> report, on mergeable state.
    A rule whose only findings compare a training file with its validation file sets
    `pair_only`: it runs only when a validation file is given.

    Keyed state (optional, `keyed = True`): the state is split by key into `buckets` parts,
    each part reduced to a small result, the results reported together:

    1. `split(state, buckets, ctx)` -> `(rest, parts)`: `parts[b]` holds what of the state has a key
       in bucket b, `rest` what the report needs besides (small). Rest and parts are states
       that `merge` combines. Everything a bucket's result depends on must have its keys in
       that bucket: split training and validation states by the same keys, with a hash every
       process agrees on (not Python's `hash` of a str, which differs between processes);
    2. `reduce(part, ctx)` (and `reduce_pair(train_part, validation_part, ctx)`): one bucket's
       part, merged over the whole dataset in file order -> its result (not for `pair_only`
       rules, which only `reduce_pair`);
    3. `report_reduced(rest, results, ctx)` (and `report_pair_reduced`): the findings from the
       merged rests and the buckets' results, which must not depend on the number of buckets.

    The local engine splits into one bucket (`report` and `report_pair` do it by default for a
    keyed rule); the Dask engine splits each partition's state into many, reduces every bucket
    in a task of its own on the workers and gathers only the rests and the results.
    """

    pair_only: ClassVar[bool] = False
    keyed: ClassVar[bool] = False

    def new_state(self) -> Any:
        raise NotImplementedError

    def observe(self, state: Any, batch: Batch, ctx: Context) -> None:
        raise NotImplementedError

    def merge(self, a: Any, b: Any) -> Any:
        """Combine the states of two consecutive partitions (a before b)."""
        raise NotImplementedError

    def report(self, state: Any, ctx: Context) -> Iterable[Diagnostic]:
        """The findings of the whole dataset's state. Default: none, or a keyed rule's
        findings from its state in one bucket."""
        if not self.keyed:
            return ()
        rest, (part,) = self.split(state, 1, ctx)
        return self.report_reduced(rest, [self.reduce(part, ctx)], ctx)

    def report_pair(self, train: Any, validation: Any, ctx: Context) -> Iterable[Diagnostic]:
        """Cross-file findings for a training file's state and its validation file's state;
        `ctx` is the validation file's context. Default: none, or a keyed rule's findings
        from its states in one bucket."""
        if not self.keyed:
            return ()
        (train_rest, (train_part,)), (rest, (part,)) = self.split(train, 1, ctx), self.split(validation, 1, ctx)
        return self.report_pair_reduced(train_rest, rest, [self.reduce_pair(train_part, part, ctx)], ctx)

    def split(self, state: Any, buckets: int, ctx: Context) -> tuple[Any, list[Any]]:
        """A keyed rule's state as (rest, one part per key bucket)."""
        raise NotImplementedError

    def reduce(self, part: Any, ctx: Context) -> Any:
        """A key bucket's part of the dataset's state -> its result. Default: None."""
        return None

    def reduce_pair(self, train: Any, validation: Any, ctx: Context) -> Any:
        """A key bucket's parts of the training and validation states -> its result. Default: None."""
        return None

    def report_reduced(self, rest: Any, results: list[Any], ctx: Context) -> Iterable[Diagnostic]:
        """A keyed rule's findings from the rest of its state and every bucket's result."""
        return ()

    def report_pair_reduced(self, train_rest: Any, validation_rest: Any, results: list[Any], ctx: Context) -> Iterable[Diagnostic]:
        """A keyed rule's cross-file findings from the rests and every bucket's `reduce_pair` result."""
        return ()


class ReaderRule(Rule):
    """A rule for a problem the reader finds in the bytes (codes FT0xx): it only documents and
    reports the reader's issues of its code."""

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for issue in batch.issues:
            if issue.code == self.code:
                yield self.diagnostic(ctx, issue.line, issue.message, column=issue.column, fix=issue.fix)
