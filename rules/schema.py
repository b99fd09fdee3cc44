"""Rules for the shape of prompt-completion records and the size of the dataset (FT1xx)."""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from ftlint import Batch, Context, DatasetRule, Diagnostic, Location, Rule, Severity, hookimpl
from ftlint.formats import key_variants
from ftlint.text import show

FORMATS = frozenset({"prompt-completion"})
KEYS = ("prompt", "completion")
API_MINIMUM = 10  # examples the fine-tuning API requires


def _pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) is float and math.isnan(value):
        return "NaN (a missing value?)"
    if type(value) is float and math.isinf(value):
        return "an infinite number"
    if type(value) in (int, float):
        return f"a number ({value!r})" if len(repr(value)) <= 20 else "a number"
    if type(value) is list:
        return "an array"
    if type(value) is dict:
        return "an object"
    return type(value).__name__


class MissingKey(Rule):
    """The record lacks `prompt` or `completion`.

    ## What it does
    In a prompt-completion dataset, reports each record (a JSON object) without a `prompt`
    key or without a `completion` key; the pointer names the (first) missing key.

    ## Why
    Every example of the legacy fine-tuning format is exactly one prompt and one completion;
    the API rejects the file otherwise. A record in another format (`messages`, `text`) in the
    middle of the file is usually a mix-up of two exports.

    ## Example
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    None automatic: add the missing key with its text, or remove the record (a record in
    another format belongs in its own file).
    """

    code = "FT101"
    name = "missing-key"
    severity = Severity.ERROR
    formats = FORMATS

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i in sorted(set(batch.missing("prompt") + batch.missing("completion"))):
            line, value = batch.lines[i], batch.values[i]
            written = set(key_variants(value).values())  # "Prompt ": FT105's finding, one for the file
            missing = [k for k in KEYS if k not in value and k not in written]
            if not missing:
                continue
            if len(missing) == 2:
                message = 'record has neither "prompt" nor "completion"; every example needs both'
                if "messages" in value:
                    message += ' (it looks like a chat record: "messages")'
            else:
                message = f'record has no "{missing[0]}" key; every example needs "prompt" and "completion"'
            yield self.diagnostic(ctx, line, message, pointer=_pointer(missing[0]))


class WrongType(Rule):
    """`prompt` or `completion` is not a string.

    ## What it does
    Reports a `prompt` or `completion` whose value is a number, a boolean, null, an array or
    an object, and says which.

    ## Why
    Both must be strings. A number label (`"completion": 1`) is a common slip when exporting
    a classification dataset from a data frame; write it as a string with a leading space
    (`" 1"`), which the models handle well.

    ## Example
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": 1}
    ```

    ## Use instead
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": " 1"}
    ```

    ## Fix
    None automatic: write the value as a string (a number label with a leading space);
    an array or object usually means the wrong field was exported.
    """

    code = "FT102"
    name = "wrong-type"
    severity = Severity.ERROR
    formats = FORMATS

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for key in KEYS:
            for i in batch.not_strings(key):
                line, found = batch.lines[i], batch.values[i][key]
                numeric = type(found) is int or (type(found) is float and math.isfinite(found))
                hint = f'; write it as a string, e.g. {show(" " + str(found))}' if numeric and key == "completion" else ""
                yield self.diagnostic(
                    ctx, line, f'"{key}" is {_kind(found)}, not a string{hint}',
                    column=batch.column_of(i, key), pointer=_pointer(key),
                )


class EmptyCompletion(Rule):
    """The completion is empty or only whitespace.

    ## What it does
    Reports a `completion` that is `""` or holds only spaces, tabs or newlines.

    ## Why
    The completion is what the model learns to produce; an empty one teaches it to stop at
    once, and is usually a failed export or a missing label.

    ## Example
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": " "}
    ```

    ## Use instead
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    None automatic: write the missing completion, or remove the record.
    """

    code = "FT103"
    name = "empty-completion"
    severity = Severity.ERROR
    formats = FORMATS

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        texts = batch.texts("completion")
        for i in batch.blank("completion"):
            line, text = batch.lines[i], texts[i]
            what = "empty" if not text else f"only whitespace ({show(text)})"
            yield self.diagnostic(
                ctx, line, f"completion is {what}; give the text the model should produce",
                column=batch.column_of(i, "completion"), pointer="/completion",
            )


@dataclass(frozen=True)
class UnexpectedKeyOptions:
    allowed_keys: list[str] = field(default_factory=list)  # keys kept on purpose


class UnexpectedKey(Rule):
    """The record has keys other than `prompt` and `completion`.

    ## What it does
    Reports each record holding other keys (`id`, `label`, `meta`...), naming them; the pointer
    names the first. Keys listed in the option `allowed-keys` are not reported.

    ## Why
    The legacy fine-tuning API ignores or rejects other keys. A key the author meant to train
    on (a label kept in `label` instead of the completion) is silently lost.

    ## Example
    ```
    {"prompt": "Review: crisp sound\\n\\n###\\n\\n", "completion": " positive", "id": 17}
    ```

    ## Use instead
    ```
    {"prompt": "Review: crisp sound\\n\\n###\\n\\n", "completion": " positive"}
    ```
    or keep the key on purpose with `allowed-keys = ["id"]`.

    ## Fix
    None automatic: remove the keys before uploading (or list them in `allowed-keys`).

    ## Options
    - `allowed-keys` (list of strings, default `[]`): keys a record may carry besides
      `prompt` and `completion`, under `[tool.ftlint.rules.unexpected-key]`.
    """

    code = "FT104"
    name = "unexpected-key"
    severity = Severity.WARNING
    formats = FORMATS
    Options = UnexpectedKeyOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self._expected = frozenset(KEYS) | frozenset(k for k in self.options.allowed_keys if isinstance(k, str))

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        expected = self._expected
        for i in batch.with_keys_outside(expected):
            line, value = batch.lines[i], batch.values[i]
            extra = [k for k in value if k not in expected and k not in key_variants([k])]
            if not extra:
                continue
            names = ", ".join(show(k, 24) for k in extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
            yield self.diagnostic(
                ctx, line,
                f"unexpected key{'s' if len(extra) > 1 else ''} {names}: the API ignores or rejects keys other than "
                '"prompt" and "completion"; remove '
                f"{'them' if len(extra) > 1 else 'it'} or list {'them' if len(extra) > 1 else 'it'} in allowed-keys",
                column=batch.column_of(i, extra[0]), pointer=_pointer(extra[0]),
            )


class _CountingRule(DatasetRule):
    """Counts the records (JSON objects) of a file, in every format; only for training files."""

    formats = None

    def new_state(self) -> list[int]:
        return [0]

    def observe(self, state: list[int], batch, ctx) -> None:
        state[0] += len(batch.values) - batch.values.count(None)

    def merge(self, a: list[int], b: list[int]) -> list[int]:
        return [a[0] + b[0]]


@dataclass(frozen=True)
class TooFewExamplesOptions:
    minimum: int = API_MINIMUM


class TooFewExamples(_CountingRule):
    """The training file has fewer examples than the API accepts.

    ## What it does
    Counts the records of a training file (not a validation file), in every format, and
    reports, on line 1, when there are fewer than `minimum` (default 10, the fine-tuning API's
    minimum). A file without any record is left to FT011 and the reader's codes.

    ## Why
    The API rejects the job. Even at the minimum, a model learns little; the guide asks for
    a few hundred examples (FT111).

    ## Example
    A training file of 6 labelled reviews, or of 5 conversations.

    ## Use instead
    A training file of at least 10 records (better, a few hundred).

    ## Fix
    None automatic: add examples.

    ## Options
    - `minimum` (integer, default `10`): the fewest records a training file may have, under
      `[tool.ftlint.rules.too-few-examples]`.
    """

    code = "FT110"
    name = "too-few-examples"
    severity = Severity.ERROR
    Options = TooFewExamplesOptions

    def report(self, state: list[int], ctx) -> Iterator:
        count = state[0]
        if ctx.role != "train" or count == 0 or count >= self.options.minimum:
            return
        yield self.diagnostic(
            ctx, 1,
            f"{count} example{'s' if count != 1 else ''}; fine-tuning needs at least {self.options.minimum} "
            "(and the guide recommends a few hundred)",
        )


@dataclass(frozen=True)
class SmallDatasetOptions:
    classification_minimum: int = 200
    generation_minimum: int = 500
    conversation_minimum: int = 50


class SmallDataset(_CountingRule):
    """The training file is small for its task.

    ## What it does
    Counts the records of a training file and reports, on line 1, fewer than
    `classification-minimum` (default 200) for a classification task, fewer than
    `generation-minimum` (default 500) for a generation task, or fewer than
    `conversation-minimum` (default 50) for chat and preference data. Not reported below the
    API minimum of 10 examples, where FT110 applies, nor for prompt-completion data whose task
    is unknown.

    ## Why
    The legacy guide: "at least a few hundred" examples, about 100 per class for classifiers
    and 500 or more for conditional generation; quality grows roughly linearly with each
    doubling. The chat fine-tuning guide: clear improvements typically come from 50 to 100
    training examples.

    ## Example
    A sentiment classifier trained on 120 reviews, a product-description generator trained
    on 300 examples, or a support assistant trained on 30 conversations.

    ## Use instead
    About 100 examples per class for a classifier (200 at least), 500 or more for
    generation; add examples until the quality you measure stops improving.

    ## Fix
    None automatic: add examples.

    ## Options
    `classification-minimum` (default 200), `generation-minimum` (default 500),
    `conversation-minimum` (default 50).
    """

    code = "FT111"
    name = "small-dataset"
    severity = Severity.WARNING
    Options = SmallDatasetOptions

    def report(self, state: list[int], ctx) -> Iterator:
        count = state[0]
        if ctx.role != "train" or count < API_MINIMUM:
            return
        if ctx.conventions.format in ("chat", "preference"):
            if count < self.options.conversation_minimum:
                yield self.diagnostic(
                    ctx, 1,
                    f"{count} {ctx.conventions.format} examples; the fine-tuning guide sees clear improvements "
                    f"from 50 to 100 (conversation-minimum {self.options.conversation_minimum})",
                )
            return
        task = ctx.conventions.task
        if task not in ("classification", "generation"):
            return
        minimum = self.options.classification_minimum if task == "classification" else self.options.generation_minimum
        if count >= minimum:
            return
        yield self.diagnostic(
            ctx, 1,
            f"{count} examples for a {task} task; the guide recommends at least {minimum} "
            "(a few hundred; more examples improve quality roughly with each doubling)",
        )


class ColumnNameVariant(DatasetRule):
    """A key (a column of a table) is one of the API's keys in other case or with spaces.

    ## What it does
    Reports, once per key for the file, a key such as `"Prompt"` or `"completion "` that is
    `prompt`, `completion`, `messages`, `input`, `preferred_output` or
    `non_preferred_output` written with capitals or surrounding spaces, with the records that
    use it. Spreadsheets and CSV exports often name their columns so. FT101 and FT104 leave
    such keys to this rule.

    ## Why
    The API knows only the exact lower-case keys: to it, a record with `"Prompt "` has no
    prompt, and the whole file is rejected (`openai tools fine_tunes.prepare_data` asked to
    lower-case such columns).

    ## Example
    ```
    {"Prompt ": "Review: crisp sound, good bass\\n\\n###\\n\\n", "Completion": " positive"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    Safe, on conversion: `ftlint convert FILE --to jsonl` (and every other target) renames the
    keys, except in a record that also has the right key (then both stay, and are reported).
    `--fix` does not rename keys in place.
    """

    code = "FT105"
    name = "column-name-variant"
    severity = Severity.ERROR
    LINES_NAMED = 20

    def new_state(self) -> dict:
        return {}  # key -> [records, first lines]

    def observe(self, state: dict, batch: Batch, ctx: Context) -> None:
        values = [v for v in batch.values if v is not None]
        variants = key_variants(set().union(*values)) if values else {}
        for key in variants:
            lines = [line for line, v in zip(batch.lines, batch.values) if v is not None and key in v]
            found = state.setdefault(key, [0, []])
            found[0] += len(lines)
            found[1] = (found[1] + lines)[: self.LINES_NAMED]

    def merge(self, a: dict, b: dict) -> dict:
        merged = {k: list(v) for k, v in a.items()}
        for key, (count, lines) in b.items():
            found = merged.setdefault(key, [0, []])
            found[0] += count
            found[1] = (found[1] + lines)[: self.LINES_NAMED]
        return merged

    def report(self, state: dict, ctx: Context) -> Iterator[Diagnostic]:
        command = f"ftlint convert {ctx.path} --to jsonl"
        for key, (count, lines) in sorted(state.items(), key=lambda item: (item[1][1][0], item[0])):
            right = key_variants([key])[key]
            more = f" and {count - len(lines):,} more" if count > len(lines) else ""
            yield self.diagnostic(
                ctx, lines[0],
                f'key {show(key)} in {count:,} record{"s" if count != 1 else ""} (line{"s" if count != 1 else ""} '
                f'{", ".join(map(str, lines))}{more}) is "{right}" written {"with spaces" if key.strip() != key else "in other case"}: '
                f"the API knows only \"{right}\"; `{command}` renames it",
                pointer=_pointer(key), related=tuple(Location(ctx.path, line) for line in lines[1:]))


class OpenEndedGeneration(DatasetRule):
    """Every prompt is empty: the file trains open-ended generation.

    ## What it does
    Reports, once for the file, that all its prompts are empty strings, and says that the
    separator rules (FT2xx) therefore do not apply.

    ## Why
    With empty prompts the model learns to write texts like the completions from nothing:
    open-ended generation, which the guide allows. There is no prompt to end with a
    separator, so none is asked for; if you meant to condition the output on an input, the
    inputs are missing (`openai tools fine_tunes.prepare_data` told these files apart too).

    ## Example
    ```
    {"prompt": "", "completion": " A warm, funny film. END"}
    {"prompt": "", "completion": " Dull and far too long. END"}
    ```

    ## Use instead
    Nothing, if open-ended generation is what you want; otherwise put each input in its
    prompt, followed by a separator.

    ## Fix
    None: it is a statement about the dataset.
    """

    code = "FT112"
    name = "open-ended-generation"
    severity = Severity.INFO
    formats = FORMATS

    def new_state(self) -> list:
        return [0, 0, 0]  # prompts, prompts with text, first line

    def observe(self, state: list, batch: Batch, ctx: Context) -> None:
        prompts = batch.strings("prompt")
        present = [p is not None for p in prompts]
        state[1] += sum(map(bool, prompts))
        if any(present) and not state[0]:
            state[2] = batch.lines[present.index(True)]
        state[0] += sum(present)

    def merge(self, a: list, b: list) -> list:
        return [a[0] + b[0], a[1] + b[1], a[2] or b[2]]

    def report(self, state: list, ctx: Context) -> Iterator[Diagnostic]:
        prompts, written, first = state
        if prompts >= 2 and not written:
            yield self.diagnostic(ctx, first, f"all {prompts:,} prompts are empty: open-ended generation; the separator rules (FT2xx) do not "
                                  "apply. If the completions should answer an input, put it in the prompts", pointer="/prompt")


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [MissingKey, WrongType, EmptyCompletion, UnexpectedKey, ColumnNameVariant, TooFewExamples, SmallDataset, OpenEndedGeneration]
