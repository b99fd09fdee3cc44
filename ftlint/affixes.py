"""Separators and stop sequences at the end of texts: the logic shared by the separator rules
(FT2xx) and the stop-sequence rules (FT3xx), which divide a text that does not end with the
dataset's affix the same way (see `classify`), and point at the same places (`value_column`).
"""
from __future__ import annotations

import os
import re
from array import array
from collections.abc import Iterator
from itertools import repeat
from operator import gt
from typing import Any, ClassVar

from ftlint.batch import Batch, present_values, where
from ftlint.conventions import MAX_AFFIX, SENTENCE_END, separator_like
from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix
from ftlint.rule import Context, DatasetRule, Rule
from ftlint.text import escape_controls, show

_TRAILING_PUNCTUATION = ".,;!"  # may follow a stop's core by mistake: " END."
_TAIL = 64  # characters at the end of a text that the ending helpers look at

# Endings that look like a deliberate marker, besides runs of ASCII symbols (see other_ending).
_SPECIAL_TOKEN = re.compile(r"\s*<\|?/?[A-Za-z_][\w-]*\|?>\s*\Z")  # <|endoftext|>, </s>, <END>
_LABEL_LINE = re.compile(r"\n[ \t]*[A-Za-z][\w ]{0,24}:[ \t]*\Z")  # "\nAnswer:", "\nSentiment:"
_MARKER_WORDS = ("END", "STOP", "EOS", "EOT", "EOF")
_MARKER_WORD = re.compile(rf"\s+(?:{'|'.join(_MARKER_WORDS)})[.!]?\s*\Z")  # " STOP" where " END" is the stop
_BRACKETS = "()[]{}\"'`"  # emoticons and quotes, not separators: ";-(", "'*'"
_LAST_WORD = re.compile(r"\s+\S*\Z")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


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
    stripped = tail.rstrip()
    # each expression runs only where the end it needs is there (most texts end with neither)
    if stripped.endswith(">") and (match := _SPECIAL_TOKEN.search(tail)):
        return str(match.group())
    if stripped.rstrip(".!").endswith(_MARKER_WORDS) and (match := _MARKER_WORD.search(tail)):
        return str(match.group())
    if label_lines and tail.rstrip(" \t").endswith(":") and (match := _LABEL_LINE.search(tail)):
        return str(match.group())
    symbols = len(tail)
    while symbols and not tail[symbols - 1].isalnum():  # the run of [\W_] ending the text
        symbols -= 1
    if symbols < len(tail):
        run = tail[symbols:][-MAX_AFFIX:]
        body = run.rstrip()
        # the ending starts at the whitespace before its last symbols ("!\n\n---" -> "\n\n---"),
        # or after the sentence punctuation that ends the text ("now.->" -> "->")
        space = _LAST_WORD.search(body)
        run = run[space.start():] if space else run.lstrip("".join(SENTENCE_END))
        run = _NON_ASCII.split(run)[-1]  # "\ufffd%###" (an undecodable byte, an emoji before it) -> "%###"
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


def _classified(batch: Batch, key: str, affix: str) -> list[tuple[int, str, str]]:
    """(row, how, text) of `classify` for the rows whose `key` is a string that does not end
    with `affix`: computed once per batch for FT201/FT202 (FT302/FT303), which divide them."""
    texts, label_lines = batch.texts(key), key == "prompt"
    return [(i, *classify(texts[i], affix, label_lines=label_lines)) for i in batch.not_ending_with(key, affix)]


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


def value_column(batch: Batch, index: int, key: str, offset: int) -> int:
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
    return new.find(affix, 0, len(new) - 1) >= 0


def missing_affix(rule: Rule, batch: Batch, ctx: Context, key: str, affix: str, share: float, name: str) -> Iterator[Diagnostic]:
    """FT201/FT302: diagnostics with safe fixes for the values of `key` that do not end with
    `affix` (`name`: "separator" or "stop sequence"); other endings are FT202/FT303's."""
    shown = show(affix)
    seen = f" ({share:.0%} of {key}s end with it)" if share else ""
    appended = f"{key} does not end with the {name} {shown}{seen}; append it"
    titles = {"variant": f"Replace the ending with the {name} {shown}", "partial": f"Complete the {name} {shown}",
              "append": f"Append the {name} {shown}"}
    pointer = "/" + key
    texts = batch.texts(key)
    for i, how, new in batch.derived(_classified, key, affix):
        line, text = batch.lines[i], texts[i]
        if key == "completion" and (not text or text.isspace()):
            continue  # empty and blank completions are FT103's
        if how == "other":
            continue  # FT202/FT303
        kept = len(new) - len(affix)  # the fixed text is text[:kept] + affix
        fix = Fix(titles[how], (Edit(line, "replace-end", pointer, (text[kept:], affix)),), Applicability.SAFE)
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


def other_affix(rule: Rule, batch: Batch, ctx: Context, key: str, affix: str, name: str) -> Iterator[Diagnostic]:
    """FT202/FT303: diagnostics for the values of `key` that end with another separator-like
    ending instead of `affix`, with an unsafe fix replacing that ending by `affix`."""
    shown = show(affix)
    pointer = "/" + key
    texts = batch.texts(key)
    for i, how, ending in batch.derived(_classified, key, affix):
        text = texts[i]
        if how != "other" or not text:
            continue
        line = batch.lines[i]
        new = text[: len(text) - len(ending)] + affix
        fix = Fix(f"Replace {show(ending)} with the {name} {shown}", (Edit(line, "replace-end", pointer, (ending, affix)),), Applicability.UNSAFE)
        if repeats(new, affix):
            fix = Fix(f"Check the {key}: it already holds the {name} {shown} before its end", (), Applicability.DISPLAY_ONLY)
        yield rule.diagnostic(
            ctx, line,
            f"{key} ends with {show(ending.strip())} instead of the dataset's {name} {shown}; use one {name} throughout",
            column=value_column(batch, i, key, len(text) - len(ending)), pointer=pointer,
            fix=fix,
        )


# --- a prefix shared by every text (FT207, FT306) ------------------------------------------------

class CommonPrefixRule(DatasetRule):
    """The base of the rules for a prefix every `key` text shares. State: [texts seen, their
    common prefix (None before the first), longest text, lines of the texts]."""

    key: ClassVar[str]

    def new_state(self) -> list[Any]:
        return [0, None, 0, array("q")]

    def observe(self, state: list[Any], batch: Batch, ctx: Context) -> None:
        _observe_prefix(state, batch, self.key)

    def merge(self, a: list[Any], b: list[Any]) -> list[Any]:
        if a[1] is None or b[1] is None:
            return a if b[1] is None else b
        return [a[0] + b[0], os.path.commonprefix([a[1], b[1]]), max(a[2], b[2]), a[3] + b[3]]


def _observe_prefix(state: list[Any], batch: Batch, key: str) -> None:
    """Add the batch's string values of `key` to a prefix state (one pass at C speed)."""
    values, lines = present_values(batch, key)
    if not values:
        return
    state[0] += len(values)
    prefix = values[0] if state[1] is None else state[1]
    if not all(map(str.startswith, values, repeat(prefix))):  # the prefix holds: no comparison of whole texts
        prefix = os.path.commonprefix([prefix, min(values), max(values)])
    state[1] = prefix
    state[2] = max(state[2], max(map(len, values)))
    state[3].extend(lines)


def shared_prefix(state: list[Any], keep: str = "") -> str:
    """The prefix every text shares, cut back to its last whitespace (never into a word), after
    `keep` (a leading space kept as it is); "" when the texts are all the same text."""
    prefix = state[1] or ""
    if state[0] < 2 or len(prefix) == state[2] or not prefix.startswith(keep):
        return ""
    boundary = max((i + 1 for i, ch in enumerate(prefix) if ch.isspace()), default=0)
    return prefix[len(keep) : boundary] if boundary > len(keep) else ""


def prefix_fix(rule: Rule, ctx: Context, state: list[Any], key: str, prefix: str, keep: str, message: str) -> Diagnostic:
    """One finding for the whole file, at its first text, with an unsafe fix that removes the
    prefix from every text (keeping `keep` before it)."""
    lines = state[3]
    edits = tuple(Edit(line, "replace-start", f"/{key}", (keep + prefix, keep)) for line in lines)
    fix = Fix(f"Remove {show(prefix)} from the start of every {key}", edits, Applicability.UNSAFE)
    return rule.diagnostic(ctx, lines[0], message, pointer=f"/{key}", fix=fix)
