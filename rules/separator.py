"""Rules for the separator that ends every prompt (FT2xx), and helpers shared with the
completion rules (the same logic applies to a completion's stop sequence).

Division of labour for a prompt that does not end with the dataset's separator, decided
record by record from the shape of its ending (`classify`):
  - it ends with a *variant* of the separator (the separator's non-blank core, e.g. `###` for
    `\\n\\n###\\n\\n`, possibly followed by whitespace): FT201, whose safe fix REPLACES that
    ending with the separator (never a second separator after the first); likewise a partial
    separator (`\\nSupported` for `\\nSupported:`) is completed;
  - it ends with *another* separator-like ending (` ->`, `\\n\\n---\\n\\n`, `<|endoftext|>`,
    `\\nAnswer:`; see `other_ending`): FT202, whose unsafe fix replaces that ending;
  - otherwise: FT201, whose safe fix appends the separator (the part of the separator's leading
    whitespace that the prompt already ends with is not doubled).
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from itertools import repeat
from operator import contains, gt, not_

from ftlint import Applicability, Batch, DatasetRule, Edit, Fix, Rule, Severity, hookimpl, where
from ftlint.conventions import MAX_AFFIX, SENTENCE_END, separator_like
from ftlint.text import escape_controls, show

FORMATS = frozenset({"prompt-completion"})
_TRAILING_PUNCTUATION = ".,;!"  # may follow a stop's core by mistake: " END."
_TAIL = 64  # characters at the end of a text that the ending helpers look at

# Endings that look like a deliberate marker, besides runs of ASCII symbols (see other_ending).
_SPECIAL_TOKEN = re.compile(r"\s*<\|?/?[A-Za-z_][\w-]*\|?>\s*\Z")  # <|endoftext|>, </s>, <END>
_LABEL_LINE = re.compile(r"\n[ \t]*[A-Za-z][\w ]{0,24}:[ \t]*\Z")  # "\nAnswer:", "\nSentiment:"
_MARKER_WORD = re.compile(r"\s+(?:END|STOP|EOS|EOT|EOF)[.!]?\s*\Z")  # " STOP" where " END" is the stop
_SYMBOL_RUN = re.compile(r"[\W_]+\Z")
_BRACKETS = "()[]{}\"'`"  # emoticons and quotes, not separators: ";-(", "'*'"
_LAST_WORD = re.compile(r"\s+\S*\Z")


def variant_cut(text: str, affix: str) -> int | None:
    """Where a variant of `affix` starts at the end of `text`, or None.

    A variant is the affix's non-blank core (`###` for `\\n\\n###\\n\\n`, `END` for ` END`)
    at the end of the text, possibly followed by whitespace and (for a stop) by one of `.,;!`,
    and not glued to a longer word or symbol run (`BACKEND` is not a variant of ` END`,
    `-->` is not one of ` ->`). The caller checks first that `text` does not end with `affix`.
    """
    core = affix.strip()
    if not core:
        return None
    stripped = text.rstrip()
    for end in (stripped, stripped.rstrip(_TRAILING_PUNCTUATION).rstrip()):
        if end.endswith(core):
            at = len(end) - len(core)
            if at == 0:
                return 0
            before = end[at - 1]
            if before.isspace() or core[0].isalnum() != before.isalnum() or (core.isupper() and before.islower()):
                return at  # "sirEND": an upper-case core glued to a lower-case word is a variant too
            return None
    return None


def complete(text: str, affix: str) -> tuple[str, str]:
    """`text` made to end with `affix`: (new text, how: "variant", "partial" or "append").

    - "variant": a variant of the affix ends the text (see `variant_cut`); it is replaced,
      together with the whitespace before it when the affix brings its own leading whitespace.
    - "partial": the text ends with the start of the affix, cut at word boundaries on both
      sides (`"...\nSupported"` for `"\nSupported:"`, `"...\n\n#"` for `"\n\n###\n\n"`,
      `"... this text"` for `" text\n\n###\n\n"`; at least two characters, or one
      symbol): only the rest of the affix is appended, the text is never repeated.
    - "append": the affix is appended, minus the part of its leading whitespace that the text
      already ends with (`"...\n"` + `"\n\n###\n\n"` gives one separator, not three newlines).
    """
    cut = variant_cut(text, affix)
    if cut is not None:
        head = text[:cut]
        if affix[:1].isspace():
            head = head.rstrip()
        return head + affix, "variant"
    for k in range(len(affix) - 1, 0, -1):
        start = affix[:k]
        if not text.endswith(start):
            continue
        if start.isspace():
            return text + affix[k:], "append"
        piece = start.strip()
        glued = (len(text) > k and text[-k - 1].isalnum() and start[0].isalnum()) or (start[-1].isalnum() and affix[k].isalnum())
        if not glued and (len(piece) >= 2 or not piece.isalnum()):
            return text + affix[k:], "partial"
    return text + affix, "append"


def other_ending(text: str, *, label_lines: bool = False) -> str | None:
    """The ending of `text` when it looks like a separator or stop sequence of its own (with
    the whitespace around it), else None.

    Recognised: a run of at least two ASCII symbols that is separator-like and does not end in
    sentence punctuation and holds no bracket or quote (` ->`, ` =>`, `\\n\\n---\\n\\n`,
    ` ###`; not `;-)`); a special token
    (`<|endoftext|>`, `</s>`); a marker word (` STOP`, ` EOS`); with `label_lines`, a short
    final line ending in a colon (`\\nAnswer:`). A single symbol (`:`, `%`, `*`) or emoji is
    not enough: such a prompt is treated as having no separator at all.
    """
    tail = text[-_TAIL:]
    for pattern in (_SPECIAL_TOKEN, _MARKER_WORD, *((_LABEL_LINE,) if label_lines else ())):
        match = pattern.search(tail)
        if match:
            return match.group()
    match = _SYMBOL_RUN.search(tail)
    if match:
        run = match.group()[-MAX_AFFIX:]
        body = run.rstrip()
        # the ending starts at the whitespace before its last symbols ("!\n\n---" -> "\n\n---"),
        # or after the sentence punctuation that ends the text ("now.->" -> "->")
        space = _LAST_WORD.search(body)
        run = run[space.start():] if space else run.lstrip("".join(SENTENCE_END))
        core = run.strip()
        if (len(core) >= 2 and core.isascii() and core[-1] not in SENTENCE_END and separator_like(core)
                and not any(ch in _BRACKETS for ch in core)):
            return run
    return None


def classify(text: str, affix: str, *, label_lines: bool = False) -> tuple[str, str]:
    """For a text that does not end with `affix`: ("variant" | "partial" | "append", the fixed
    text), see `complete`; or ("other", the ending) when nothing of the affix ends the text
    but another separator-like ending does (see `other_ending`)."""
    new, how = complete(text, affix)
    if how == "append":
        ending = other_ending(text, label_lines=label_lines)
        if ending is not None:
            return "other", ending
    return how, new


def _walk(text: str, k: int, offset: int) -> int:
    """Index in `text` (raw JSON, a string value starting at `k`) of the value's character
    `offset`; escapes count as the one character they stand for."""
    remaining = offset
    while remaining:
        escape = text.find("\\", k)
        quote = text.find('"', k)
        if quote < 0:
            raise IndexError
        stop = quote if escape < 0 or quote < escape else escape
        if stop - k >= remaining:
            return k + remaining
        remaining -= stop - k
        k = stop
        if k == quote:
            raise IndexError  # the value is shorter than offset: not this value
        if text[k + 1] == "u":
            high = 0xD800 <= int(text[k + 2 : k + 6], 16) < 0xDC00
            k += 12 if high and text[k + 6 : k + 8] in ("\\u", "\\U") else 6
        else:
            k += 2
        remaining -= 1
    return k


def value_column(batch, index: int, key: str, offset: int) -> int:
    """1-based character column, in the raw line, of character `offset` of the string value
    of `key` (escapes such as `\\n` or `\\u00e9` count as the characters they stand for).
    Falls back to the column of the key when the value cannot be located."""
    try:
        text = batch.raws[index].decode("utf-8", "replace")
        needle = '"' + key + '"'
        at = text.find(needle)
        while at >= 0:
            k = at + len(needle)
            while text[k] in " \t":
                k += 1
            if text[k] == ":":
                k += 1
                while text[k] in " \t":
                    k += 1
                if text[k] == '"':
                    return _walk(text, k + 1, offset) + 1
            at = text.find(needle, at + 1)
    except (IndexError, ValueError):
        pass
    return batch.column_of(index, key)


def repeats(new: str, affix: str) -> bool:
    """Whether `new`, which ends with `affix`, holds it once more before: a fix that would make
    it so is not offered (no fix ever adds a second separator or stop sequence)."""
    return affix in new[:-1]


def missing_affix(rule: Rule, batch, ctx, key: str, affix: str, share: float, name: str) -> Iterator:
    """FT201/FT302: diagnostics with safe fixes for the values of `key` that do not end with
    `affix` (`name`: "separator" or "stop sequence"); other endings are FT202/FT303's."""
    shown = show(affix)
    seen = f" ({share:.0%} of {key}s end with it)" if share else ""
    appended = f"{key} does not end with the {name} {shown}{seen}; append it"
    titles = {"variant": f"Replace the ending with the {name} {shown}", "partial": f"Complete the {name} {shown}",
              "append": f"Append the {name} {shown}"}
    label_lines, pointer = key == "prompt", "/" + key
    texts = batch.strings(key)
    for i in where(map(not_, batch.ending_with(key, affix))):
        line, text = batch.lines[i], texts[i]
        if text is None or (key == "completion" and (not text or text.isspace())):
            continue  # not a string: FT102's; empty and blank completions are FT103's
        how, new = classify(text, affix, label_lines=label_lines)
        if how == "other":
            continue  # FT202/FT303
        fix = Fix(titles[how], (Edit(line, "set", pointer, new),), Applicability.SAFE)
        if repeats(new, affix):
            fix = Fix(f"Check the {key}: it already holds the {name} {shown} before its end", (), Applicability.DISPLAY_ONLY)
        if how == "variant":
            cut = variant_cut(text, affix) or 0
            message = (f"{key} ends with {show(text[cut:].lstrip(), 20)}, a variant of the {name} {shown}; "
                       f"end it with the {name} exactly")
        elif how == "partial":
            message = f"{key} ends with {show(affix[: len(affix) - (len(new) - len(text))])}, the start of the {name} {shown}; complete it"
        else:
            message = appended
        yield rule.diagnostic(
            ctx, line, message, column=value_column(batch, i, key, len(text)), pointer=pointer,
            fix=fix,
        )


def inner_candidates(batch: Batch, key: str, affix: str) -> list[int]:
    """FT203/FT304: indices of the records whose `key` text may hold `affix` before its end: it
    occurs twice, or once but not at the end (a superset: overlaps are checked by the caller)."""
    return where(map(gt, map(str.count, batch.texts(key), repeat(affix)), batch.ending_with(key, affix)))


def shell_quote(value: str) -> str:
    """A separator or stop as typed after `--separator` / `--stop` (control characters as
    `\\n` escapes, which the command line reads back)."""
    return "'" + escape_controls(value.replace("\\", "\\\\")).replace("'", "'\\''") + "'"


def other_affix(rule: Rule, batch, ctx, key: str, affix: str, name: str) -> Iterator:
    """FT202/FT303: diagnostics for the values of `key` that end with another separator-like
    ending instead of `affix`, with an unsafe fix replacing that ending by `affix`."""
    shown = show(affix)
    label_lines, pointer = key == "prompt", "/" + key
    texts = batch.texts(key)
    for i in where(map(not_, batch.ending_with(key, affix))):
        text = texts[i]
        if not text:
            continue
        how, ending = classify(text, affix, label_lines=label_lines)
        if how != "other":
            continue
        line = batch.lines[i]
        new = text[: len(text) - len(ending)] + affix
        fix = Fix(f"Replace {show(ending)} with the {name} {shown}", (Edit(line, "set", pointer, new),), Applicability.UNSAFE)
        if repeats(new, affix):
            fix = Fix(f"Check the {key}: it already holds the {name} {shown} before its end", (), Applicability.DISPLAY_ONLY)
        yield rule.diagnostic(
            ctx, line,
            f"{key} ends with {show(ending.strip())} instead of the dataset's {name} {shown}; use one {name} throughout",
            column=value_column(batch, i, key, len(text) - len(ending)), pointer=pointer,
            fix=fix,
        )


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
        n = len(sep)
        prompts = batch.texts("prompt")
        for i in inner_candidates(batch, "prompt", sep):
            line, prompt = batch.lines[i], prompts[i]
            at = prompt.find(sep, 0, len(prompt) - n if prompt.endswith(sep) else len(prompt))
            if at < 0:
                continue  # only overlaps the final separator ("...\n\n\n" for "\n\n")
            yield self.diagnostic(
                ctx, line,
                f"the separator {show(sep)} also occurs inside the prompt (character {at + 1}); "
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
        prompts = [p for p in batch.strings("prompt") if p is not None]
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
                    fix=Fix("Remove the spaces before the separator", (Edit(line, "set", "/prompt", kept + sep),), Applicability.UNSAFE),
                )
            else:
                yield self.diagnostic(
                    ctx, line, f"prompt ends with {show(body[len(kept):])}; a trailing space belongs to the next token",
                    column=column, pointer="/prompt",
                    fix=Fix("Remove the trailing spaces", (Edit(line, "set", "/prompt", kept),), Applicability.SAFE),
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
        for i in where(map(contains, prompts, repeat("="))):
            line, prompt = batch.lines[i], prompts[i]
            match = search(prompt)
            if match is None:
                continue
            yield self.diagnostic(
                ctx, line,
                f"prompt is written as key=value pairs ({show(prompt[match.start():], 30)}); natural language works better",
                column=value_column(batch, i, "prompt", match.start()), pointer="/prompt",
            )


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [SeparatorMissing, SeparatorInconsistent, SeparatorInBody, NoSeparator, PromptTrailingSpace, StructuredPrompt]
