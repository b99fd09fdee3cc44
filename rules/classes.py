"""Rules for classification datasets (FT5xx): how many classes, how many examples per class,
and whether one class is spelled several ways.

They run only when the dataset's task is classification (`task = "classification"` in the
config, or inferred: few distinct completions for the number of records). The class of a
record is its completion; spellings that differ only in case, surrounding whitespace or
trailing punctuation (` positive`, `Positive.`) count as one class, named by its most frequent
spelling (FT504 reports the other spellings). Records whose completion is not a string are left
to the schema rules.

All of them are dataset rules on one small state: per distinct label, its count and its first
line (FT504 also keeps the line numbers of each label). Labels of a classification task are
few; when more than `MAX_LABELS` distinct completions appear, collecting stops and only FT503
reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from ftlint import Applicability, Batch, Context, DatasetRule, Diagnostic, Edit, Fix, Rule, Severity, hookimpl, tokens
from ftlint.labels import MAX_LABELS, LabelStats
from ftlint.text import show

class ClassRule(DatasetRule):
    """Base of the rules that look at the classes of a classification dataset."""

    formats = frozenset({"prompt-completion"})
    keep_lines = False
    training_only = False  # advice about the training set's size and balance, not a validation set's

    def cap(self) -> int:
        return MAX_LABELS

    def new_state(self) -> LabelStats:
        return LabelStats(self.cap(), self.keep_lines)

    def observe(self, state: LabelStats, batch: Batch, ctx: Context) -> None:
        if ctx.conventions.task == "classification":
            state.add(batch)

    def merge(self, a: LabelStats, b: LabelStats) -> LabelStats:
        return a.merge(b)

    def report(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        if ctx.conventions.task != "classification" or state.overflow or not state.counts:
            return iter(())
        if self.training_only and ctx.role == "validation":
            return iter(())
        return self.findings(state, ctx)

    def findings(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        raise NotImplementedError


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class TooFewPerClass(ClassRule):
    """A class has fewer examples than a classifier needs.

    ## What it does
    Counts the records of each class (each distinct completion; spellings that differ only in
    case, surrounding whitespace or trailing punctuation count as one class, see FT504) and
    reports every class with fewer than `min-examples` (default 100) records, once, on the
    class's first line.

    ## Why
    OpenAI's fine-tuning guide recommends at least ~100 examples per class. With fewer, the
    model barely learns the class and rarely predicts it.

    ## Example
    With the default `min-examples = 100`, a file with 450 ` positive` and 30 ` negative`
    records:
    ```
    {"prompt": "Review: Dull and far too long.\\n\\n###\\n\\n", "completion": " negative"}
    ```
    is reported on the first ` negative` record: the class has 30 examples.

    ## Use instead
    About 100 records of every class, or the rare class merged into a related one.

    ## Fix
    None automatic: add examples of the class, or merge it into a related class. Set
    `min-examples` under `[tool.ftlint.rules.too-few-per-class]` to change the threshold.

    ## Options
    - `min-examples` (integer, default `100`): the fewest records a class may have, under
      `[tool.ftlint.rules.too-few-per-class]`.
    """

    code = "FT501"
    name = "too-few-per-class"
    severity = Severity.WARNING
    training_only = True

    @dataclass(frozen=True)
    class Options:
        min_examples: int = 100

    def findings(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        minimum = self.options.min_examples
        for cls in state.groups():
            n = cls.count
            if n < minimum:
                line, column = cls.first
                yield self.diagnostic(
                    ctx, line,
                    f"class {cls.described()} has only {_plural(n, 'example')} (min-examples {minimum:,}; "
                    f"the guide recommends about 100 per class): add examples or merge the class",
                    column=column, pointer="/completion",
                )


class ClassImbalance(ClassRule):
    """The largest class has many times more examples than the smallest.

    ## What it does
    Compares the record counts of the largest and the smallest class (variant spellings of a
    class counted with it, see FT504) and reports, once on line 1, when their ratio is above
    `max-ratio` (default 10).

    ## Why
    A classifier trained on heavily imbalanced classes learns to predict the large class; the
    rare class's recall suffers. Either balance the data or decide consciously (and evaluate
    per class).

    ## Example
    950 records with completion ` ham` and 50 with ` spam`: ratio 19, reported.

    ## Use instead
    Classes of comparable size (here, more ` spam` examples or fewer ` ham` ones), or the
    imbalance kept on purpose and evaluated per class.

    ## Fix
    None automatic: add examples of the small classes, or downsample the large one. Set
    `max-ratio` under `[tool.ftlint.rules.class-imbalance]` to change the threshold.

    ## Options
    - `max-ratio` (number, default `10`): the largest ratio of the largest class's records to
      the smallest's, under `[tool.ftlint.rules.class-imbalance]`.
    """

    code = "FT502"
    name = "class-imbalance"
    severity = Severity.WARNING
    training_only = True

    @dataclass(frozen=True)
    class Options:
        max_ratio: float = 10.0

    def findings(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        groups = state.groups()  # ties: the class seen first
        if len(groups) < 2:
            return
        largest = max(groups, key=lambda cls: cls.count)
        smallest = min(groups, key=lambda cls: cls.count)
        big, small = largest.count, smallest.count
        ratio = big / small
        if ratio > self.options.max_ratio:
            yield self.diagnostic(
                ctx, 1,
                f"classes are imbalanced: {largest.described()} has {_plural(big, 'example')}, {smallest.described()} only "
                f"{small:,} ({ratio:.1f} times fewer; max-ratio {self.options.max_ratio:g}): add examples of the "
                f"small classes or downsample the large ones",
            )


class TooManyClasses(ClassRule):
    """The dataset has more classes than a fine-tuned classifier handles well.

    ## What it does
    Counts the classes (distinct completions, variant spellings of one class counted once, see
    FT504) of a classification dataset and reports, once on line 1, when there are more than
    `max-classes` (default 500).

    ## Why
    OpenAI's fine-tuning guide describes classification with up to 500 classes. Beyond that
    each class has few examples and the labels rarely stay single tokens; a task with that
    many outputs is better framed as generation (or split into a hierarchy of classifiers).
    Many distinct completions may also mean the task was wrongly taken for classification:
    set `task = "generation"` in the config then.

    ## Example
    A topic classifier with 730 distinct topic labels.

    ## Use instead
    A few hundred topics at most (rare ones merged), or a generation model that writes the
    topic.

    ## Fix
    None automatic: merge rare classes, or train a generation model. Set `max-classes` under
    `[tool.ftlint.rules.too-many-classes]` to change the threshold.

    ## Options
    - `max-classes` (integer, default `500`): the most classes a classifier may have, under
      `[tool.ftlint.rules.too-many-classes]`.
    """

    code = "FT503"
    name = "too-many-classes"
    severity = Severity.ERROR

    @dataclass(frozen=True)
    class Options:
        max_classes: int = 500

    def cap(self) -> int:
        return max(MAX_LABELS, 2 * self.options.max_classes)

    def report(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        if ctx.conventions.task != "classification":
            return
        limit = self.options.max_classes
        if state.overflow:
            yield self.diagnostic(
                ctx, 1,
                f"more than {state.cap:,} distinct completions for a classification task (max-classes {limit:,}): "
                f"merge classes, or set task = \"generation\" if this is not classification",
            )
        elif len(state.counts) > limit and (n := len(state.groups())) > limit:
            yield self.diagnostic(
                ctx, 1,
                f"{n:,} classes, more than max-classes ({limit:,}; the guide describes up to 500): "
                f"merge rare classes, or set task = \"generation\" if this is not classification",
            )


class LabelVariants(ClassRule):
    """One class is spelled several ways.

    ## What it does
    Groups the labels (completions) that differ only in case, surrounding whitespace or
    trailing punctuation (` positive`, ` Positive`, `positive`, ` positive.`), takes the most
    frequent spelling of each group as the class's spelling, and reports every record that
    uses another one, naming the dominant spelling.

    ## Why
    To the model, ` positive` and ` Positive` are different tokens, hence different classes:
    the examples of one class are split, and at inference the probabilities are spread over
    spellings (`logprobs` shows several "classes" that are one). A label without the leading
    space (`positive`) is also a different token than ` positive`.

    ## Example
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: Loved every minute.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: Great cast, great story.\\n\\n###\\n\\n", "completion": " Positive"}
    ```
    Line 3 is reported: ` Positive` is a variant of ` positive`.

    ## Use instead
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: Loved every minute.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: Great cast, great story.\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    Set the completion to the dominant spelling (unsafe: it changes a label; ftlint never
    changes labels without `--unsafe-fixes`). A missing leading space is also reported by
    the completion rules.
    """

    code = "FT504"
    name = "label-variants"
    severity = Severity.ERROR
    keep_lines = True

    def findings(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        assert state.lines is not None
        found: list[tuple[int, str, str]] = []  # (line, variant, dominant)
        for cls in state.groups():
            found.extend((line, variant, cls.name) for variant in cls.spellings if variant != cls.name
                         for line in state.lines[variant])
        found.sort()
        for line, variant, dominant in found:
            message = (
                f"label {show(variant)} is a variant of {show(dominant)} ({_plural(state.counts[dominant], 'record')}): "
                f"use one spelling per class"
            )
            fix = Fix(f"Replace label with {show(dominant)}", (Edit(line, "set", "/completion", dominant),), Applicability.UNSAFE)
            yield self.diagnostic(ctx, line, message, pointer="/completion", fix=fix)


class PreferNumericLabels(ClassRule):
    """Many classes whose labels are words of several tokens: numbers would be single tokens.

    ## What it does
    When a classification dataset has at least `min-classes` classes (default 10) and some of
    its labels encode to more than one token (under the model's encoding; the default model
    is `davinci`, set `model` in the config or `--model`), suggests once, on line 1, mapping
    the classes to numbers ` 1`, ` 2`, ... instead, or to capital letters ` A`, ` B`, ...
    under encodings where a space before a digit is a token of its own (cl100k_base,
    o200k_base: the guide's numbers are r50k_base advice).

    ## Why
    OpenAI's fine-tuning guide advises, for many categories (its example: routing emails
    into categories), to map each class to a number with a leading space: each is a single
    token, so a classifier can run with `max_tokens=1` and read the class probabilities from
    `logprobs`. Multi-token labels need several generated tokens and their first tokens may
    be shared between classes.

    ## Example
    12 classes such as ` Billing question`, ` Technical support`, ` Account cancellation`:
    use ` 1` ... ` 12` and keep the mapping beside the dataset.

    ## Use instead
    ```
    {"prompt": "Subject: I was charged twice\\n\\n###\\n\\n", "completion": " 1"}
    ```
    with ` 1` = Billing question, ` 2` = Technical support, ... kept beside the dataset.

    ## Fix
    None automatic: the mapping is yours to keep. Rules FT402 reports each multi-token label.

    ## Options
    - `min-classes` (integer, default `10`): the fewest classes for which numbers are
      suggested, under `[tool.ftlint.rules.prefer-numeric-labels]`.
    """

    code = "FT505"
    name = "prefer-numeric-labels"
    severity = Severity.INFO
    training_only = True

    @dataclass(frozen=True)
    class Options:
        min_classes: int = 10

    def findings(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        groups = state.groups()
        n = len(groups)
        if n < self.options.min_classes:
            return

        encoding = ctx.encoding
        multi = [
            label for label in (cls.name for cls in groups)
            if not label.strip().isdigit() and len(encoding.encode_ordinary(label)) > 1
        ]
        if not multi:
            return
        example = multi[0]
        k = len(encoding.encode_ordinary(example))
        codes = tokens.single_token_labels(encoding, n)
        numbers = tokens.numbers_are_single_tokens(encoding)
        why = "" if numbers else (f"; under {encoding.name} the guide's numbers with a leading space are 2 tokens, "
                                  "a space before a digit being a token of its own")
        yield self.diagnostic(
            ctx, 1,
            f"{n:,} classes, {len(multi):,} of them several tokens under {ctx.model_info.name} (e.g. {show(example)}: "
            f"{k} tokens): map the classes to {'numbers' if numbers else 'capital letters'} {show(codes[0])} ... "
            f"{show(codes[-1])} (single tokens{why}) and keep the mapping",
        )


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [TooFewPerClass, ClassImbalance, TooManyClasses, LabelVariants, PreferNumericLabels]
