"""Rules for completions: leading whitespace, the stop sequence, list order (FT3xx).

The stop-sequence rules (FT302-FT304) apply to generation tasks only: a classifier is called
with max_tokens=1 and needs no stop sequence (a common suffix of its labels, like "tive" in
" positive"/" negative", is not one). FT302/FT303 divide a completion that does not end with
the stop sequence exactly as FT201/FT202 divide prompts (see ftlint.affixes).
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from itertools import repeat
from operator import gt, or_

from ftlint import Applicability, DatasetRule, Edit, Fix, Rule, Severity, hookimpl, where
from ftlint.affixes import (
    CommonPrefixRule, inner_candidates, missing_affix, other_affix, prefix_fix, shared_prefix, shell_quote,
    value_column,
)

from ftlint.text import escape_controls, show

FORMATS = frozenset({"prompt-completion"})


class MissingLeadingWhitespace(Rule):
    """The completion does not start with whitespace.

    ## What it does
    Reports a completion whose first character is not a space, tab or newline. Empty and
    whitespace-only completions are FT103's.

    ## Why
    The guide: each completion should start with a whitespace, because the tokenizer
    attaches a space to the word that follows it (` positive` is one token, `positive`
    another). Without it the model learns tokens it will not produce after a separator.

    ## Example
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": "positive"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    Prepend one space (safe).
    """

    code = "FT301"
    name = "missing-leading-whitespace"
    severity = Severity.ERROR
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        texts = batch.texts("completion")
        for i in batch.not_starting_with("completion", " "):
            line, text = batch.lines[i], texts[i]
            if not text or text[0].isspace():
                continue
            yield self.diagnostic(
                ctx, line, f"completion {show(text, 20)} does not start with a space; the guide asks for a leading whitespace",
                column=value_column(batch, i, "completion", 0), pointer="/completion",
                fix=Fix("Prepend a space", (Edit(line, "replace-start", "/completion", ("", " ")),), Applicability.SAFE),
            )


# Stop sequences FT302 may suggest when a generation dataset has none, in order of preference.
STOP_CANDIDATES = (" END", " STOP", " ###", "\n")


def _generation_stop(ctx) -> str | None:
    conv = ctx.conventions
    return conv.stop if conv.task == "generation" and conv.stop else None


class StopMissing(DatasetRule):
    """The completion does not end with the dataset's stop sequence (generation tasks).

    ## What it does
    For a generation task with a stop sequence (inferred: the fixed ending shared by most
    completions, or configured with `stop`), reports each completion that does not end with
    it, pointing at the end. A completion that ends with a *different* stop-like suffix
    (` STOP`, `<|endoftext|>`, ` ###`) is FT303's instead.

    When a generation dataset (of two or more completions) has no stop sequence at all,
    reports that once, on line 1, and names one that occurs inside no completion (` END`
    when possible).

    Classification tasks are never checked: a classifier runs with max_tokens=1 and needs no
    stop sequence (the common suffix "tive" of " positive"/" negative" is not one).

    ## Why
    At inference the stop sequence ends the generation. A completion without it teaches the
    model to run on past the answer, until max_tokens.

    ## Example
    With the stop sequence `" END"`:
    ```
    {"prompt": "Define the noun: kayak\\n\\n###\\n\\n", "completion": " a small light canoe"}
    {"prompt": "Define the verb: paddle\\n\\n###\\n\\n", "completion": " propel with a paddle END."}
    ```

    ## Use instead
    ```
    {"prompt": "Define the noun: kayak\\n\\n###\\n\\n", "completion": " a small light canoe END"}
    {"prompt": "Define the verb: paddle\\n\\n###\\n\\n", "completion": " propel with a paddle END"}
    ```

    ## Fix
    Safe, and never a second stop sequence:
    - the completion ends with a variant of the stop sequence (its core, here `END`, possibly
      followed by whitespace or one of `.,;!`, as in the second line): the variant is REPLACED;
    - the completion ends with the start of the stop sequence, at word boundaries (`"...\\n##"`
      for `"\\n###"`): the stop sequence is completed; an upper-case core glued to a
      lower-case word (`" it is sirEND"`) is a variant too (`" it is sir END"`);
    - otherwise the stop sequence is appended (the part of its leading whitespace that the
      completion already ends with is not doubled).
    When the completion already holds the stop sequence before its end (FT304), no fix is
    offered.
    Without any stop sequence: run `ftlint check FILE --stop ' END' --fix`; with the stop
    sequence configured, this rule appends it to every completion.
    """

    code = "FT302"
    name = "stop-missing"
    severity = Severity.ERROR
    formats = FORMATS
    def check(self, batch, ctx) -> Iterator:
        stop = _generation_stop(ctx)
        if stop is None:
            return
        yield from missing_affix(self, batch, ctx, "completion", stop, ctx.conventions.stop_share, "stop sequence")

    def new_state(self) -> list:
        # only for a generation task without stop sequence: completions, and per candidate
        # stop sequence, the completions holding it anywhere but at the very end
        return [0, [0] * len(STOP_CANDIDATES)]

    def observe(self, state: list, batch, ctx) -> None:
        if ctx.conventions.task != "generation" or ctx.conventions.stop is not None:
            return
        texts = [t for t in batch.strings("completion") if t is not None]
        state[0] += len(texts)
        inside = state[1]
        for k, cand in enumerate(STOP_CANDIDATES):
            n = len(cand)
            inside[k] += sum(1 for t in texts if cand in t and t.find(cand, 0, len(t) - n) >= 0)

    def merge(self, a: list, b: list) -> list:
        return [a[0] + b[0], [x + y for x, y in zip(a[1], b[1])]]

    def report(self, state: list, ctx) -> Iterator:
        completions, inside = state
        if ctx.conventions.task != "generation" or ctx.conventions.stop is not None or completions < 2:
            return
        free = [c for c, n in zip(STOP_CANDIDATES, inside) if not n]
        if free:
            command = f"ftlint check {shlex.quote(ctx.path)} --stop {shell_quote(free[0])} --fix"
            advice = f"use {show(free[0])}, which occurs inside no completion: `{command}` appends it to every completion"
            title = f"Run `{command}`"
        else:
            advice = "every usual stop sequence already occurs inside some completion; choose one that occurs in none and pass it with --stop, then --fix"
            title = "Choose a stop sequence that occurs in no completion and pass it with --stop --fix"
        yield self.diagnostic(
            ctx, 1,
            "no common stop sequence: in a generation task every completion should end with a fixed stop "
            f"sequence that occurs nowhere else in it, and inference should pass it as `stop`; {advice}",
            fix=Fix(escape_controls(title), (), Applicability.DISPLAY_ONLY),
        )


class StopInconsistent(Rule):
    """The completion ends with a different stop sequence than the rest (generation tasks).

    ## What it does
    For a generation task with a stop sequence, reports each completion that ends instead
    with another stop-like suffix, pointing at that ending: a marker word (` STOP`, ` EOS`),
    a special token (`<|endoftext|>`, `</s>`), or a run of two or more ASCII symbols that is
    not sentence punctuation and holds no bracket or quote (` ###`, ` ->`). Division from
    FT302 as between FT201 and FT202: decided from the shape of the ending; a variant of the
    dataset's own stop sequence (`END.` for ` END`) is FT302's. Classification tasks are never
    checked.

    ## Why
    Typically two sources were merged. At inference only one stop sequence is passed; the
    model, having learned both, sometimes emits the other and runs on.

    ## Example
    With the stop sequence `" END"`:
    ```
    {"prompt": "Define the adjective: bouncy\\n\\n###\\n\\n", "completion": " elastic; rebounds readily<|endoftext|>"}
    ```

    ## Use instead
    ```
    {"prompt": "Define the adjective: bouncy\\n\\n###\\n\\n", "completion": " elastic; rebounds readily END"}
    ```

    ## Fix
    Unsafe: replace the other ending (with the whitespace around it) by the stop sequence.
    Review it: the ending may belong to the text.
    """

    code = "FT303"
    name = "stop-inconsistent"
    severity = Severity.WARNING
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        stop = _generation_stop(ctx)
        if stop is None:
            return
        yield from other_affix(self, batch, ctx, "completion", stop, "stop sequence")


class StopInBody(Rule):
    """The stop sequence occurs inside the completion (generation tasks).

    ## What it does
    For a generation task with a stop sequence, reports a completion in which the stop
    sequence occurs before its end (repeats of it at the very end do not count), pointing at
    the first occurrence. With the stop sequence `"\\n"`, every multi-line completion is
    reported: that is exactly the problem.

    ## Why
    Generation stops at the first occurrence of the stop sequence, so at inference the model
    would cut its answer there, and the training example teaches it to.

    ## Example
    With the stop sequence `" END"`:
    ```
    {"prompt": "Key: End\\n\\n###\\n\\n", "completion": " Press END to jump to the last line. END"}
    ```
    With `"\\n"`: `{"prompt": "...", "completion": " Step one.\\nStep two.\\n"}`.

    ## Use instead
    A stop sequence that occurs in no completion, here `" ###"`:
    ```
    {"prompt": "Key: End\\n\\n###\\n\\n", "completion": " Press END to jump to the last line. ###"}
    ```

    ## Fix
    None automatic: rewrite the text, or choose a stop sequence that occurs in no completion
    (pass it with `--stop`).
    """

    code = "FT304"
    name = "stop-in-body"
    severity = Severity.ERROR
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        stop = _generation_stop(ctx)
        if stop is None:
            return
        n, shown = len(stop), show(stop)
        texts = batch.texts("completion")
        for i in inner_candidates(batch, "completion", stop):
            line, text = batch.lines[i], texts[i]
            end = len(text)
            while end >= n and text.endswith(stop, 0, end):
                end -= n
            at = text.find(stop, 0, end)
            if at < 0:
                continue
            yield self.diagnostic(
                ctx, line,
                f"the stop sequence {shown} occurs inside the completion (character {at + 1}); "
                "generation would stop there",
                column=value_column(batch, i, "completion", at), pointer="/completion",
            )


_BULLET = re.compile(r"\A(?:[-*•]|\d{1,3}[.)])\s+")
_BULLET_STARTS = "-*•0123456789"
_ITEM_END = ".;"


def _items(body: str, prompt: str) -> tuple[list[str], list[str], str] | None:
    """(parts as written, items normalised, joiner) of a list-like completion body whose
    items all occur in the prompt, or None."""
    if "\n" in body:
        joiner = "\n"
    elif ", " in body:
        joiner = ", "
    else:
        return None
    parts = body.split(joiner)
    if len(parts) < 3:
        return None
    items = []
    for part in parts:
        item = part.strip()
        if item[:1] in _BULLET_STARTS:
            item = _BULLET.sub("", item)
        item = item.rstrip(_ITEM_END).strip()
        if not item or item not in prompt:
            return None
        items.append(item)
    return parts, items, joiner


class EntityOrder(Rule):
    """A list-like completion is in neither prompt order nor alphabetical order (generation).

    ## What it does
    For a generation task, looks at completions that are lists: three or more items separated
    by newlines or by `", "` (after removing the leading whitespace and the stop sequence;
    bullets like `- ` or `1. ` are ignored). When every item occurs in the prompt, but the
    items are neither in the order of their first appearance in the prompt nor alphabetical,
    reports the completion.

    ## Why
    The guide, on entity extraction: list the entities in the order they appear in the text,
    or alphabetically. A fixed order makes the task learnable; a random one teaches the model
    to pick items at random and to miss some.

    ## Example
    ```
    {"prompt": "Text: Ana met Boris and Carla in Lyon.\\n\\n###\\n\\n", "completion": " Carla, Ana, Boris END"}
    ```

    ## Use instead
    ```
    {"prompt": "Text: Ana met Boris and Carla in Lyon.\\n\\n###\\n\\n", "completion": " Ana, Boris, Carla END"}
    ```

    ## Fix
    Display only: the items in the order of their appearance in the prompt.
    """

    code = "FT305"
    name = "entity-order"
    severity = Severity.INFO
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        if ctx.conventions.task != "generation":
            return
        stop = ctx.conventions.stop or ""
        prompts, texts = batch.texts("prompt"), batch.texts("completion")
        # three items need two separators; counting "," (one character) is 2x faster than ", "
        lines_or_commas = map(or_, map(gt, map(str.count, texts, repeat("\n")), repeat(1)), map(gt, map(str.count, texts, repeat(",")), repeat(1)))
        for i in where(lines_or_commas):
            line, prompt, text = batch.lines[i], prompts[i], texts[i]
            if not prompt:
                continue
            tail = stop if stop and text.endswith(stop) else ""
            core = text[: len(text) - len(tail)]
            lead = core[: len(core) - len(core.lstrip())]
            body = core.strip()
            found = _items(body, prompt)
            if found is None:
                continue
            parts, items, joiner = found
            positions = [prompt.find(item) for item in items]
            if positions == sorted(positions) or items == sorted(items) or items == sorted(items, key=str.casefold):
                continue
            order = sorted(range(len(parts)), key=lambda k: positions[k])
            trailing = core[len(core.rstrip()):]
            new = lead + joiner.join(parts[k].strip() if joiner == ", " else parts[k] for k in order) + trailing + tail
            yield self.diagnostic(
                ctx, line,
                f"the {len(items)} listed items are neither in their order of appearance in the prompt nor alphabetical; "
                "use one fixed order",
                column=value_column(batch, i, "completion", 0), pointer="/completion",
                fix=Fix("Order the items as they appear in the prompt", (Edit(line, "set", "/completion", new),), Applicability.DISPLAY_ONLY),
            )


class CommonCompletionPrefix(CommonPrefixRule):
    """Every completion starts with the same text after its leading space.

    ## What it does
    Reports, once for the file (at its first completion), a prefix of 5 characters or more
    that every completion shares after the leading space (`" Answer: ..."`), cut back to its
    last whitespace (never into a word). Files whose completions are all the same text are left to the other rules.

    ## Why
    The completion should be only the output: a fixed lead-in is tokens the model learns to
    write every time and you pay for in every example and answer
    (`openai tools fine_tunes.prepare_data` suggested removing it too).

    ## Example
    ```
    {"prompt": "Ad: One stop for all your insurance needs\\nSupported:", "completion": " Label: yes"}
    {"prompt": "Ad: Straight teeth in weeks!\\nSupported:", "completion": " Label: no"}
    ```

    ## Use instead
    ```
    {"prompt": "Ad: One stop for all your insurance needs\\nSupported:", "completion": " yes"}
    {"prompt": "Ad: Straight teeth in weeks!\\nSupported:", "completion": " no"}
    ```

    ## Fix
    Unsafe (it changes every completion), and only when the rule is selected by its code or
    name (`--extend-select FT306`, not by a prefix or ALL) with `--unsafe-fixes`: removes the
    prefix after the leading space, which is kept; each changed line goes to `<name>.removed.jsonl`.
    """

    code = "FT306"
    name = "common-completion-prefix"
    severity = Severity.INFO
    formats = FORMATS
    explicit_fix = True  # it rewrites every record: only when the rule is named
    key = "completion"
    MIN_LENGTH = 5  # prepare_data: 5 characters or more

    def report(self, state: list, ctx) -> Iterator:
        keep = " " if (state[1] or "").startswith(" ") else ""
        prefix = shared_prefix(state, keep)
        if len(prefix) >= self.MIN_LENGTH:
            yield prefix_fix(self, ctx, state, "completion", prefix, keep,
                             f"all {state[0]:,} completions start with {show(prefix)}{' after the leading space' if keep else ''}: "
                             "the model learns to write it every time and you pay for it in every answer: remove it")


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [MissingLeadingWhitespace, StopMissing, StopInconsistent, StopInBody, EntityOrder, CommonCompletionPrefix]
