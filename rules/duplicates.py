"""Rules for repeated examples (FT6xx): exact duplicates, one prompt with several completions,
and validation examples that also occur in the training file, in every format: they compare
the prompt text, answer text and asked text of ftlint.record_text (for chat: the conversation
before the last assistant message, that message, and the messages that are not the assistant's).

All three are dataset rules, each with its own state (a `Hashes`): per record only its line
number and one or two 64-bit hashes, never the text, kept as one numpy array per batch and
concatenated at report time, where duplicates are found by sorting (no per-record Python work
except for the findings). `merge(a, b)` appends b's arrays after a's, so partitions merge in
file order. FT610 is `pair_only`: it keeps hashes only when a validation file is given. The
hashes (see `prompt_pair_keys`, `prompt_keys`; computed once per batch and shared by the rules,
so FT601 and FT602 hold the same arrays):

- FT601 and FT602 keep the prompt text's xxh3_64 and the answer text's xxh3_64 seeded with the
  prompt's hash: two uint64 per record. FT601 compares both (128 bits: equal prompt and equal
  answer), FT602 looks for equal prompts with different pair hashes.
- FT610 keeps the asked text's xxh3_64 (for prompt-completion records, the prompt's hash that
  FT601 and FT602 computed).

Only records that have both texts are compared (FT610: an asked text); the schema rules report
the others.

Hash collisions: with n distinct prompts the chance that two share a 64-bit prompt hash is about
n^2 / 2^65: 3e-8 for a million records, 3e-4 for 1e8, 3% for 1e9; FT602 or FT610 would then name
one false pair. A false FT601 (whose fix drops a record) needs a 128-bit collision: negligible at
any size. Texts cannot be compared to confirm a match: the state keeps none.

Measured on 1,000,000 generation records (benchmarks/data/generation-1000000-seed1.jsonl, a
quiet 2-core Xeon, CPU seconds): hashing is most of the observe cost, about 0.5 s for the
prompt and pair hashes that the rules share; report: about 0.1 s per rule, plus about 10 us
per finding (building the Diagnostic). State: 20 bytes per record (uint32 line, two uint64
hashes) shared by FT601 and FT602; a report adds its concatenation (20 more) and a sorted copy
of the prompt hashes (8) while it runs. Finding the repeated prompts with a value sort (SIMD,
11 ms) and a search costs a third of a stable argsort of every record (123 ms).
Earlier measurements:
- a dict per record instead (FT601: 128-bit pair hash -> first line; FT602: prompt hash ->
  {pair hash: first line}) observed in 1.14 s and 1.25 s, about the same CPU time, but held 90
  and 336 bytes per record: the numpy state is kept. pandas' `duplicated` on one uint64 column
  (64 ms) beat a stable argsort (160 ms), but importing pandas costs 0.7 s: not used.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice, repeat
from operator import is_not

import numpy as np

from ftlint import Applicability, Batch, Context, DatasetRule, Diagnostic, Edit, Fix, Location, Rule, Severity, hookimpl
from ftlint.record_text import answer_texts, asked_texts, prompt_hashes, prompt_texts, text_hashes

MAX_RELATED = 3  # earlier lines named by one FT602 finding
MEMBERSHIP_CHUNK = 1 << 20  # records looked up at once by `repeated_prompts`


def _present_mask(columns: list[list[str | None]]) -> np.ndarray | None:
    """Which records have a text in every column (None: all of them)."""
    if not any(None in column for column in columns):
        return None
    mask = np.ones(len(columns[0]), dtype=bool)
    for column in columns:
        mask &= np.fromiter(map(is_not, column, repeat(None)), bool, len(column))
    return mask


def prompt_keys(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Lines (`Batch.line_array`) and keys (n x 1 uint64: the asked text's hash) of the
    records with an asked text (computed once per batch)."""
    return batch.derived(_asked_keys)


def _asked_keys(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    lines = batch.line_array()
    asked = asked_texts(batch)
    hashes = prompt_hashes(batch) if asked is prompt_texts(batch) else text_hashes(asked)
    keys = np.array(hashes, dtype=np.uint64).reshape(-1, 1)
    mask = _present_mask([asked])
    return (lines, keys) if mask is None else (lines[mask], keys[mask])


def prompt_pair_keys(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Lines and keys (n x 2: prompt hash, pair hash) of the records with a prompt text and an
    answer text (see ftlint.record_text), computed once per batch. The pair hash is the
    answer's hash seeded with the prompt's: equal rows mean equal prompts and equal answers
    (128 bits), and no text can move the boundary between the two strings."""
    return batch.derived(_prompt_pair_keys)


def _prompt_pair_keys(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    prompts = prompt_hashes(batch)
    lines = batch.line_array()
    answers = answer_texts(batch)
    keys = np.array([prompts, text_hashes(answers, prompts)], dtype=np.uint64).T.copy()
    mask = _present_mask([prompt_texts(batch), answers])
    return (lines, keys) if mask is None else (lines[mask], keys[mask])


def blank_prompt_hashes(ctx: Context) -> np.ndarray:
    """Hashes of prompts that ask nothing: empty, no message before the answer (`[]`), or only
    the separator (what FT201's fix makes of an empty prompt). A separator with letters or digits is not one: in a small file with
    repeated prompts, inference can take a whole prompt for the separator."""
    separator = ctx.conventions.separator or ""
    texts: list[str | None] = ["", "[]", separator] if separator and not any(ch.isalnum() for ch in separator) else ["", "[]"]
    return np.array(sorted(text_hashes(texts)), dtype=np.uint64)


@dataclass
class Hashes:
    """Mergeable state: per record its line and its hash keys (a row of 64-bit hashes), as
    lists of per-batch numpy arrays in file order; `path` is the file's displayed name."""

    width: int  # hashes per record
    path: str = ""
    lines: list[np.ndarray] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)

    def add(self, lines: np.ndarray, keys: np.ndarray, ctx: Context) -> None:
        self.path = self.path or ctx.path
        if len(lines):
            self.lines.append(lines)
            self.keys.append(keys)

    def merge(self, later: Hashes) -> Hashes:
        self.path = self.path or later.path
        self.lines += later.lines
        self.keys += later.keys
        return self

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.lines + self.keys)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(lines, keys) for the whole file, in file order, concatenated anew on each call and
        not kept: FT601 and FT602 hold the same per-batch arrays, so a kept concatenation
        would be a second copy for as long as the state lives."""
        lines = np.concatenate(self.lines) if self.lines else np.empty(0, np.uint32)
        keys = np.concatenate(self.keys) if self.keys else np.empty((0, self.width), np.uint64)
        return lines, keys


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted `keys`: whether each element starts a run of equal keys, and the index of
    the start of its run."""
    n = len(keys)
    start = np.ones(n, dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=start[1:])
    return start, _run_first(start)


def _run_first(start: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(np.where(start, np.arange(len(start)), 0))


def repeated_prompts(prompts: np.ndarray) -> np.ndarray:
    """Indices of the records whose prompt hash occurs more than once, grouped by prompt, each
    group in file order. Only these need any further work (usually a small fraction), so the
    whole array is only sorted by value (SIMD, about 10x faster than a stable argsort)."""
    ordered = np.sort(prompts)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    if not len(repeated):
        return np.empty(0, dtype=np.intp)
    members = []  # in file order; looked up in chunks, so the temporaries stay small
    for start in range(0, len(prompts), MEMBERSHIP_CHUNK):
        chunk = prompts[start : start + MEMBERSHIP_CHUNK]
        at = np.minimum(np.searchsorted(repeated, chunk), len(repeated) - 1)
        members.append(np.flatnonzero(repeated[at] == chunk) + start)
    found = np.concatenate(members)
    return found[np.argsort(prompts[found], kind="stable")]


def duplicate_pairs(lines: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(line of each later copy, line of its first occurrence) for the records whose key row
    (two 64-bit hashes) equals an earlier record's."""
    candidates = repeated_prompts(keys[:, 0])
    rows = keys[candidates]
    by_row = np.lexsort((rows[:, 1], rows[:, 0]))  # stable: equal rows stay in file order
    order, rows = candidates[by_row], rows[by_row]
    start, _ = _runs(rows[:, 0])
    start[1:] |= rows[1:, 1] != rows[:-1, 1]
    first = _run_first(start)
    later = ~start
    return lines[order[later]], lines[order[first[later]]]


@dataclass(frozen=True)
class Wording:
    """How findings name a format's parts: the whole example, its prompt, its answer, what its
    asked text occurring elsewhere means, and the JSON pointers of the prompt and the answer."""

    example: str
    prompt: str
    answer: str
    asked_also: str
    prompt_pointer: str
    answer_pointer: str


WORDING = {
    "prompt-completion": Wording("prompt and completion", "prompt", "completion", "prompt also occurs", "/prompt", "/completion"),
    "chat": Wording("conversation", "conversation before the last assistant message", "answer",
                    "its system, user and tool messages also occur", "/messages", "/messages"),
    "preference": Wording("input and preferred output", "input", "preferred output",
                          "its input's system, user and tool messages also occur", "/input", "/preferred_output"),
}


def wording(ctx: Context) -> Wording:
    return WORDING.get(ctx.conventions.format, WORDING["prompt-completion"])


class DuplicateRule(DatasetRule):
    """Base of the FT6xx rules: each rule keeps its own `Hashes` state of `width` hashes per
    record, computed by its `keys_of`."""

    formats = frozenset(WORDING)
    width = 2

    @staticmethod
    def keys_of(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def new_state(self) -> Hashes:
        return Hashes(self.width)

    def observe(self, state: Hashes, batch: Batch, ctx: Context) -> None:
        state.add(*self.keys_of(batch), ctx)

    def merge(self, a: Hashes, b: Hashes) -> Hashes:
        return a.merge(b)


class DuplicateExample(DuplicateRule):
    """The record is an exact copy of an earlier record.

    ## What it does
    Reports each record whose prompt and completion are both exactly equal (after JSON
    parsing; no whitespace or case folding) to those of an earlier record, naming the line of
    the first occurrence. Other keys are not compared. For chat, the conversation up to and
    including its last assistant message is compared (with the record's tools; key order and
    spacing do not matter); for preference data, the `input` and the preferred output.

    ## Why
    A copied example adds no information: it only weighs that example more than the others
    (the model sees it once per copy each epoch), and it usually means two exports were
    concatenated or a sampling script drew with replacement. Duplicates also inflate the
    dataset's size as counted by the other rules.

    ## Example
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: Dull and far too long.\\n\\n###\\n\\n", "completion": " negative"}
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    ```
    Line 3 is reported: it duplicates line 1.

    ## Use instead
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: Dull and far too long.\\n\\n###\\n\\n", "completion": " negative"}
    ```

    ## Fix
    Drop the later copy; the first occurrence stays (unsafe: it changes the dataset's size).
    The dropped record is written to `<name>.removed.jsonl` with its line number.
    """

    code = "FT601"
    name = "duplicate-example"
    severity = Severity.WARNING

    keys_of = staticmethod(prompt_pair_keys)

    def report(self, state: Hashes, ctx: Context) -> Iterator[Diagnostic]:
        copies, firsts = duplicate_pairs(*state.arrays())
        example = wording(ctx).example
        for line, first in zip(copies.tolist(), firsts.tolist()):
            fix = Fix(f"Drop the duplicate (line {ctx.line_name(first)} is kept)", (Edit(line, "drop"),), Applicability.UNSAFE)
            yield self.diagnostic(
                ctx, line,
                f"exact duplicate of line {ctx.line_name(first)} (same {example}): a copy only weighs the "
                f"example more; drop it",
                fix=fix, related=(Location(ctx.path, first),),
            )


class ConflictingCompletions(DuplicateRule):
    """The same prompt appears earlier with a different completion.

    ## What it does
    Reports each record whose prompt (exactly, after JSON parsing) was already seen with a
    different completion, naming the first line of each earlier completion (up to three).
    An error for classification datasets, a warning for generation and chat. Records with an
    empty prompt, or a prompt that is only the separator (when it has no letters or digits,
    like `\\n\\n###\\n\\n`), are not compared: they ask no question. For chat, the prompt
    is the conversation before the last assistant message (with the record's tools) and the
    completion is that message; for preference data, the `input` and the preferred output.

    ## Why
    For a classifier, one input with two labels is a labelling error: the examples cancel out
    and teach the model that the label is a coin toss. For generation, two answers to one
    prompt make the model average them; that is sometimes intended (several good answers),
    but often one of them is outdated or wrong.

    ## Example
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " negative"}
    ```
    Line 2 is reported: line 1 has the same prompt with another completion.

    ## Use instead
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    ```
    (one label per input; for generation, the answer that is right today).

    ## Fix
    None automatic: decide which completion is right and delete or relabel the other records.
    """

    code = "FT602"
    name = "conflicting-completions"
    severity = Severity.ERROR  # for classification; a warning for generation (see `report`)

    keys_of = staticmethod(prompt_pair_keys)

    def report(self, state: Hashes, ctx: Context) -> Iterator[Diagnostic]:
        lines, keys = state.arrays()
        order = repeated_prompts(keys[:, 0])  # groups of one prompt, each in file order
        order = order[~np.isin(keys[order, 0], blank_prompt_hashes(ctx))]
        sorted_pairs = keys[order, 1]
        start, first = _runs(keys[order, 0])
        differs = sorted_pairs != sorted_pairs[first]  # completion differs from the group's first
        seen = np.cumsum(differs)
        before = seen - differs - (seen[first] - differs[first])  # differing records earlier in the group
        conflict = differs | (before > 0)
        if not conflict.any():
            return
        classification = ctx.conventions.task == "classification"
        severity = Severity.ERROR if classification else Severity.WARNING
        words = wording(ctx)
        what, why = (("label", "a labelling error; keep the right label") if classification else
                     (words.answer, "the model learns to average them; keep the right one or make the prompts distinct"))
        group_of = np.cumsum(start) - 1
        flagged = np.zeros(int(start.sum()), dtype=bool)
        flagged[group_of[conflict]] = True
        keep = flagged[group_of]  # every record of a group holding a conflict, in group order
        sorted_lines = lines[order[keep]].tolist()
        for line, pair, is_start, is_conflict in zip(sorted_lines, sorted_pairs[keep].tolist(),
                                                     start[keep].tolist(), conflict[keep].tolist()):
            if is_start:
                firsts: dict[int, int] = {}  # completion (pair hash) -> its first line in the group
            if is_conflict:
                others = len(firsts) - (pair in firsts)
                earlier = list(islice((f for p, f in firsts.items() if p != pair), MAX_RELATED))
                named = ", ".join(map(ctx.line_name, earlier))
                more = f" and {others - len(earlier):,} more" if others > len(earlier) else ""
                where = f"line {named}" if others == 1 else f"lines {named}{more}"
                yield self.diagnostic(
                    ctx, line,
                    f"same {words.prompt} as {where} with a different {what}: {why}",
                    pointer=words.answer_pointer, severity=severity,
                    related=tuple(Location(ctx.path, f, 1, words.answer_pointer) for f in earlier),
                )
            firsts.setdefault(pair, line)


class ValidationLeak(DuplicateRule):
    """A validation example's prompt also occurs in the training file.

    ## What it does
    With `--validation`, reports each record of the validation file whose prompt (exactly,
    after JSON parsing) also occurs in the training file, naming the first training line
    with that prompt. Empty prompts and prompts that are only the separator are not compared
    (as in FT602). For chat and preference data the prompt is every message that is not the
    assistant's (system, user and tool messages, in order, with the record's tools): a
    validation conversation that asks what a training conversation asked is a leak whatever
    the answers.

    ## Why
    OpenAI's fine-tuning guide requires the training and validation files to be mutually
    exclusive. A validation example the model was trained on measures memorisation, not
    generalisation: the validation loss and accuracy look better than the model is.

    ## Example
    Training file, line 8:
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    ```
    Validation file, line 1:
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    ```
    Validation line 1 is reported, naming training line 8.

    ## Use instead
    Training and validation files that share no prompt: split the records once, then keep
    each prompt on one side.

    ## Fix
    Drop the record from the validation file (unsafe: it changes the validation set). The
    dropped record is written to `<validation name>.removed.jsonl` with its line number.
    """

    code = "FT610"
    name = "validation-leak"
    severity = Severity.ERROR
    width = 1
    pair_only = True
    keys_of = staticmethod(prompt_keys)

    def report_pair(self, train: Hashes, validation: Hashes, ctx: Context) -> Iterator[Diagnostic]:
        train_lines, train_keys = train.arrays()
        lines, keys = validation.arrays()
        train_prompts, prompts = train_keys[:, 0], keys[:, 0]
        if not len(train_prompts) or not len(prompts):
            return
        # the training records whose prompt is in the validation file (the validation file is
        # usually the smaller: sort it, not the training file), then their first occurrences
        asked = np.unique(prompts)
        shared = np.flatnonzero(asked[np.minimum(np.searchsorted(asked, train_prompts), len(asked) - 1)] == train_prompts)
        if not len(shared):
            return
        unique, first = np.unique(train_prompts[shared], return_index=True)  # first: the earliest occurrence
        at = np.minimum(np.searchsorted(unique, prompts), len(unique) - 1)
        leaks = (unique[at] == prompts) & ~np.isin(prompts, blank_prompt_hashes(ctx))
        words = wording(ctx)
        for line, train_line in zip(lines[leaks].tolist(), train_lines[shared[first[at[leaks]]]].tolist()):
            fix = Fix("Drop the record from the validation file", (Edit(line, "drop"),), Applicability.UNSAFE)
            yield self.diagnostic(
                ctx, line,
                f"{words.asked_also} in the training file (line {ctx.line_name(train_line)}): training and validation "
                f"files must be mutually exclusive, or the validation metrics overstate the model; "
                f"drop it from the validation file",
                pointer=words.prompt_pointer, fix=fix, related=(Location(train.path, train_line, 1, words.prompt_pointer),),
            )


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [DuplicateExample, ConflictingCompletions, ValidationLeak]
