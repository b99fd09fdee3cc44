"""Rules for the separator that ends every prompt (FT2xx). The logic they share with the
stop-sequence rules (FT3xx), and how a prompt without the separator is divided between FT201
and FT202, is in `ftlint.affixes`.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from itertools import repeat

from ftlint import Applicability, DatasetRule, Edit, Fix, Rule, Severity, hookimpl, where
from ftlint.affixes import (
    CommonPrefixRule, inner_candidates, missing_affix, other_affix, prefix_fix, shared_prefix, shell_quote,
    value_column,
)
from ftlint.text import escape_controls, show

FORMATS = frozenset({"prompt-completion"})
class SeparatorMissing(Rule):
    """The prompt does not end with the dataset's separator.

    ## What it does
    When the dataset has a separator (inferred: the fixed ending shared by most prompts, or
    configured with `separator`), reports each prompt that does not end with it, pointing at
    the end of the prompt. A prompt that ends with a *different* separator-like suffix
    (` ->` where the dataset uses `\\n\\n###\\n\\n`) is FT202's instead.

    ## Why
    The separator tells the model where the prompt ends and the completion begins; at
    inference the same separator is appended to every prompt. A training prompt without it
    teaches the model to continue the prompt instead of answering it.

    ## Example
    With the separator `"\\n\\n###\\n\\n"`:
    ```
    {"prompt": "Review: the battery died in a day", "completion": " negative"}
    {"prompt": "Review: arrived broken\\n\\n###", "completion": " negative"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: the battery died in a day\\n\\n###\\n\\n", "completion": " negative"}
    {"prompt": "Review: arrived broken\\n\\n###\\n\\n", "completion": " negative"}
    ```

    ## Fix
    Safe, and never a second separator:
    - the prompt ends with a variant of the separator (its core, here `###`, possibly
      followed by whitespace, as in the second line): the variant is REPLACED by the separator;
    - the prompt ends with the start of the separator, at word boundaries (`"...\\nSupported"`
      for `"\\nSupported:"`, `"... this text"` for `" text\\n\\n###\\n\\n"`): the separator
      is completed, the text never repeated;
    - otherwise the separator is appended. Trailing whitespace of the prompt is kept (FT205
      reports spaces), except the part that the separator itself begins with, which is not
      doubled.
    When the prompt already holds the separator before its end (FT203), no fix is offered.
    """

    code = "FT201"
    name = "separator-missing"
    severity = Severity.ERROR
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        sep = ctx.conventions.separator
        if not sep:
            return
        yield from missing_affix(self, batch, ctx, "prompt", sep, ctx.conventions.separator_share, "separator")


class SeparatorInconsistent(Rule):
    """The prompt ends with a different separator than the rest of the dataset.

    ## What it does
    When the dataset has a separator, reports each prompt that ends instead with another
    separator-like suffix, pointing at that ending: a run of two or more ASCII symbols that is
    not sentence punctuation and holds no bracket or quote (` ->`, ` =>`, `\\n\\n---\\n\\n`),
    a special token (`<|endoftext|>`, `</s>`), or a short final line ending in a colon
    (`\\nAnswer:`).

    Division from FT201 (FT201: no separator at all; FT202: a different one), decided record
    by record from the shape of the ending, so that FT201's safe fix never appends the
    separator after another one. A variant of the dataset's own separator (`###` for
    `\\n\\n###\\n\\n`, `->` for ` ->`) is FT201's. A single symbol (`:`, `%`), an emoji or
    sentence punctuation is not a separator: such a prompt is FT201's.

    ## Why
    Typically two sources were merged. The model learns two conventions and, at inference
    (where one separator is appended), behaves like the examples that used it only.

    ## Example
    With the separator `"\\n\\n###\\n\\n"`:
    ```
    {"prompt": "Review: great value for money ->", "completion": " positive"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: great value for money\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    Unsafe: replace the other ending (with the whitespace around it) by the dataset's
    separator. Review it: the ending may belong to the text.
    """

    code = "FT202"
    name = "separator-inconsistent"
    severity = Severity.WARNING
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        sep = ctx.conventions.separator
        if not sep:
            return
        yield from other_affix(self, batch, ctx, "prompt", sep, "separator")


class SeparatorInBody(Rule):
    """The separator also occurs inside the prompt.

    ## What it does
    Reports a prompt in which the dataset's separator occurs before the end (not counting the
    separator that ends it), pointing at the first such occurrence. Two separators at the end
    (`...\\n\\n###\\n\\n\\n\\n###\\n\\n`) count too: the first of them is inside the prompt.
    An occurrence that overlaps the final separator does not (`"...\\n\\n\\n"` for `"\\n\\n"`).

    ## Why
    The separator must occur nowhere else in the prompt, or the model cannot tell where the
    prompt ends: it learns to start answering after the first occurrence.

    ## Example
    With the separator `" ->"`:
    ```
    {"prompt": "Convert: km -> miles, 5 km ->", "completion": " 3.1 miles END"}
    ```

    ## Use instead
    A separator that occurs in no prompt, here `"\\n\\n###\\n\\n"`:
    ```
    {"prompt": "Convert: km -> miles, 5 km\\n\\n###\\n\\n", "completion": " 3.1 miles END"}
    ```

    ## Fix
    None automatic: rewrite the text, or choose a separator that occurs in no prompt (pass it
    with `--separator`).
    """

    code = "FT203"
    name = "separator-in-body"
    severity = Severity.ERROR
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        sep = ctx.conventions.separator
        if not sep:
            return
        n, shown = len(sep), show(sep)
        prompts = batch.texts("prompt")
        for i in inner_candidates(batch, "prompt", sep):
            line, prompt = batch.lines[i], prompts[i]
            at = prompt.find(sep, 0, len(prompt) - n if prompt.endswith(sep) else len(prompt))
            if at < 0:
                continue  # only overlaps the final separator ("...\n\n\n" for "\n\n")
            yield self.diagnostic(
                ctx, line,
                f"the separator {shown} also occurs inside the prompt (character {at + 1}); "
                "the model cannot tell where the prompt ends",
                column=value_column(batch, i, "prompt", at), pointer="/prompt",
            )


# Separators FT204 may suggest, in order of preference.
SEPARATOR_CANDIDATES = ("\n\n###\n\n", "\n\n===\n\n", " ->", "\n\n---\n\n", "\n\n@@@\n\n")


class NoSeparator(DatasetRule):
    """The prompts share no separator.

    ## What it does
    When no separator is configured and none could be inferred (no separator-like ending is
    shared by most prompts), and most records (at least two) have a prompt, reports once, on
    line 1, and names a separator to use: among `\\n\\n###\\n\\n`, `\\n\\n===\\n\\n`, ` ->`,
    `\\n\\n---\\n\\n`, `\\n\\n@@@\\n\\n`, the one that ends the most prompts without occurring
    inside any prompt (the first such when none ends a prompt). Never reported when a
    separator is configured.

    ## Why
    The guide: every prompt should end with a fixed separator that appears nowhere else in
    the prompt, so the model knows where the prompt ends and the completion should begin.

    ## Example
    ```
    {"prompt": "Review: great value for money", "completion": " positive"}
    {"prompt": "Review: stopped working after a week", "completion": " negative"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: great value for money\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Review: stopped working after a week\\n\\n###\\n\\n", "completion": " negative"}
    ```

    ## Fix
    Two steps, because the rule keeps no text: the message gives the command
    `ftlint check FILE --separator '\\n\\n###\\n\\n' --fix`; with that separator configured,
    FT201 appends it to every prompt (safe). Configure the same `separator` for training runs
    and append it at inference.
    """

    code = "FT204"
    name = "no-separator"
    severity = Severity.ERROR
    formats = FORMATS

    def new_state(self) -> list:
        # records, prompts, per candidate: prompts ending with it, prompts holding it elsewhere
        return [0, 0, [0] * len(SEPARATOR_CANDIDATES), [0] * len(SEPARATOR_CANDIDATES)]

    def observe(self, state: list, batch, ctx) -> None:
        if ctx.conventions.separator is not None:
            return
        prompts = [p for p in batch.strings("prompt") if p]  # empty prompts: open-ended generation (FT112), no separator
        state[0] += len(batch.values) - batch.values.count(None)
        state[1] += len(prompts)
        ends, inside = state[2], state[3]
        for k, cand in enumerate(SEPARATOR_CANDIDATES):
            n = len(cand)
            for p in prompts:
                if cand in p:
                    if p.endswith(cand) and p.find(cand, 0, len(p) - n) < 0:
                        ends[k] += 1
                    else:
                        inside[k] += 1

    def merge(self, a: list, b: list) -> list:
        return [a[0] + b[0], a[1] + b[1], [x + y for x, y in zip(a[2], b[2])], [x + y for x, y in zip(a[3], b[3])]]

    def report(self, state: list, ctx) -> Iterator:
        records, prompts, ends, inside = state
        if ctx.conventions.separator is not None or prompts < 2 or prompts * 2 <= records:
            return
        free = [k for k in range(len(SEPARATOR_CANDIDATES)) if not inside[k]]
        if free:
            pick = SEPARATOR_CANDIDATES[max(free, key=lambda k: (ends[k], -k))]
            command = f"ftlint check {shlex.quote(ctx.path)} --separator {shell_quote(pick)} --fix"
            advice = f"use {show(pick)}, which occurs inside no prompt: `{command}` appends it to every prompt"
            title = f"Run `{command}`"
        else:
            advice = "every usual separator already occurs inside some prompt; choose a marker that occurs in none and pass it with --separator, then --fix"
            title = "Choose a separator that occurs in no prompt and pass it with --separator --fix"
        yield self.diagnostic(
            ctx, 1,
            f"no common separator: prompts should end with a fixed separator that occurs nowhere else in them; {advice}",
            fix=Fix(escape_controls(title), (), Applicability.DISPLAY_ONLY),
        )


class PromptTrailingSpace(Rule):
    """The prompt ends with a space or a tab.

    ## What it does
    Reports a prompt whose text ends with spaces or tabs: at the very end, or just before the
    separator that ends it. The separator's own characters never count (a separator may end
    with a space). A trailing newline is not reported.

    ## Why
    Tokenizers attach a space to the word that follows it (` positive` is one token). A prompt
    that ends with a space leaves a lone space token the model never sees at inference, and
    takes the space away from the completion's first token.

    ## Example
    ```
    {"prompt": "Review: works as advertised \\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: works as advertised\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    When the spaces end the prompt: strip them (safe). When they come before the separator:
    strip them and keep the separator (unsafe, as it changes text the separator was appended to).
    """

    code = "FT205"
    name = "prompt-trailing-space"
    severity = Severity.WARNING
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        sep = ctx.conventions.separator or ""
        prompts = batch.texts("prompt")
        endings = (" ", "\t", " " + sep, "\t" + sep) if sep else (" ", "\t")
        for i in where(map(str.endswith, prompts, repeat(endings))):
            line, prompt = batch.lines[i], prompts[i]
            before = bool(sep) and prompt.endswith(sep)
            body = prompt[: len(prompt) - len(sep)] if before else prompt
            if not body or body[-1] not in " \t":
                continue
            kept = body.rstrip(" \t")
            column = value_column(batch, i, "prompt", len(kept))
            if before:
                yield self.diagnostic(
                    ctx, line, f"prompt ends with {show(body[len(kept):])} before the separator {show(sep)}; remove it",
                    column=column, pointer="/prompt",
                    fix=Fix("Remove the spaces before the separator", (Edit(line, "replace-end", "/prompt", (prompt[len(kept):], sep)),), Applicability.UNSAFE),
                )
            else:
                yield self.diagnostic(
                    ctx, line, f"prompt ends with {show(body[len(kept):])}; a trailing space belongs to the next token",
                    column=column, pointer="/prompt",
                    fix=Fix("Remove the trailing spaces", (Edit(line, "replace-end", "/prompt", (prompt[len(kept):], "")),), Applicability.SAFE),
                )


_KEY_VALUE_PAIRS = re.compile(r"\b[A-Za-z_]\w+=[^\s,=][^,=\n]*,[ \t]*[A-Za-z_]\w+=[^\s,=]")


class StructuredPrompt(Rule):
    """The prompt is written as `key=value` pairs.

    ## What it does
    Reports a prompt holding two or more `key=value` pairs separated by commas
    (`name=Trail runner, color=red`). Keys must be at least two characters long, so that
    equations (`x=2, y=3`) are not reported.

    ## Why
    The guide: the base models were trained on natural language, and prompts written as
    natural language ("A red trail running shoe, ...") work better than attribute lists.

    ## Example
    ```
    {"prompt": "product=Trail runner, color=red, size=42\\n\\n###\\n\\n", "completion": " A light red trail shoe. END"}
    ```

    ## Use instead
    ```
    {"prompt": "A red trail running shoe, size 42\\n\\n###\\n\\n", "completion": " A light red trail shoe. END"}
    ```

    ## Fix
    None automatic: rewrite the attributes as a sentence (or a labelled list, one per line).
    """

    code = "FT206"
    name = "structured-prompt"
    severity = Severity.INFO
    formats = FORMATS

    def check(self, batch, ctx) -> Iterator:
        search = _KEY_VALUE_PAIRS.search
        prompts = batch.texts("prompt")
        for i in batch.containing("prompt", "="):
            line, prompt = batch.lines[i], prompts[i]
            comma = prompt.find(",", prompt.find("="))
            if comma < 0 or prompt.find("=", comma) < 0:  # a match needs "=", then ",", then "=": none (C speed)
                continue
            match = search(prompt)
            if match is None:
                continue
            yield self.diagnostic(
                ctx, line,
                f"prompt is written as key=value pairs ({show(prompt[match.start():], 30)}); natural language works better",
                column=value_column(batch, i, "prompt", match.start()), pointer="/prompt",
            )


class CommonPromptPrefix(CommonPrefixRule):
    """Every prompt starts with the same long text.

    ## What it does
    Reports, once for the file (at its first prompt), a prefix of more than 12 characters that
    every prompt shares, cut back to its last whitespace (never into a word). Files whose prompts are all the same text
    are left to the other rules.

    ## Why
    A fine-tuned model does not need the instruction that names the task, or a few-shot
    scenario: the guide says to put only the input data in the prompt. A shared prefix is the
    same tokens paid for in every example, in training and at every request
    (`openai tools fine_tunes.prepare_data` suggested removing it too).

    ## Example
    ```
    {"prompt": "Classify the sentiment of this review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Classify the sentiment of this review: Dull and far too long.\\n\\n###\\n\\n", "completion": " negative"}
    ```

    ## Use instead
    ```
    {"prompt": "A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "Dull and far too long.\\n\\n###\\n\\n", "completion": " negative"}
    ```

    ## Fix
    Unsafe (it changes every prompt: requests must then leave the prefix out too), and only
    when the rule is selected by its code or name (`--extend-select FT207`, not by a prefix or
    ALL) with `--unsafe-fixes`: removes the prefix from the start of every prompt; each changed
    line goes to `<name>.removed.jsonl`.
    """

    code = "FT207"
    name = "common-prompt-prefix"
    severity = Severity.INFO
    formats = FORMATS
    explicit_fix = True  # it rewrites every record: only when the rule is named
    key = "prompt"
    MIN_LENGTH = 13  # prepare_data: a prefix longer than 12 characters

    def report(self, state: list, ctx) -> Iterator:
        prefix = shared_prefix(state)
        if len(prefix) >= self.MIN_LENGTH:
            yield prefix_fix(self, ctx, state, "prompt", prefix, "",
                             f"all {state[0]:,} prompts start with {show(prefix)}: the same tokens in every example and request; "
                             "a fine-tuned model needs only the input, not the instruction: remove it")


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [SeparatorMissing, SeparatorInconsistent, SeparatorInBody, NoSeparator, PromptTrailingSpace, StructuredPrompt, CommonPromptPrefix]
