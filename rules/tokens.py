"""Rules about tokens (FT4xx): the per-example token limit, single-token class labels, and
special-token text.

Tokens are counted with the model's tiktoken encoding, loaded offline (`ftlint.tokens`). The
model is `model` in the config or `--model`; for prompt-completion datasets the default is
`davinci` (the legacy fine-tuning guide's models ada, babbage, curie and davinci all use
r50k_base and allow 2048 tokens per example).

Tokenizing is the expensive part of a lint run (about 46 s for 1M records), so FT401 only
tokenizes a record when cheap bounds cannot prove it within the limit: a token is at least one
byte, so a record whose prompt and completion take at most `limit` bytes of UTF-8 has at most
`limit` tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy

from ftlint import Batch, Context, DatasetRule, Diagnostic, Rule, Severity, hookimpl
from ftlint import tokens
from ftlint.text import show
from ftlint.conventions import TRAILING_PUNCTUATION, without_stop
from ftlint.labels import MAX_LABELS, LabelStats

if TYPE_CHECKING:
    import tiktoken


def _pieces(encoding: tiktoken.Encoding, ids: list[int]) -> str:
    """How a text splits into tokens, for a message: [" Very", " positive"]."""
    parts = (show(encoding.decode_single_token_bytes(t).decode("utf-8", "replace"), 20) for t in ids[:8])
    return "[" + ", ".join(parts) + (", …]" if len(ids) > 8 else "]")


class TooManyTokens(Rule):
    """The example (prompt + completion) has more tokens than the model allows.

    ## What it does
    Counts the tokens of the prompt followed by the completion (as the model sees them, the
    separator and stop sequence included) with the model's tiktoken encoding, and reports
    records over the model's per-example limit, with the count and the limit.

    The model is `model` in the config or `--model`, default `davinci`: ada, babbage, curie
    and davinci allow 2048 tokens (r50k_base); other models take their limit from ftlint's
    model table. The option `max-tokens` (default 0: use the model table) sets another limit.

    Only records that can exceed the limit are tokenized: a token is at least one byte, so a
    record whose raw line, or whose prompt and completion in UTF-8, take at most `limit`
    bytes is within the limit without tokenizing it. A longer one is counted only until it
    passes the limit (`tokens.count_tokens_past`: a word is one token at least, and a prefix's
    tokens are the text's first ones): then the message says "at least N tokens" and how they
    were counted.

    ## Why
    OpenAI's legacy fine-tuning guide requires prompt + completion to fit in 2048 tokens
    for the base models. Longer examples are rejected (or cut, losing the completion, which
    is what the model should learn).

    ## Example
    A prompt holding a whole 3,000-word article, summarised in the completion: about 4,000
    tokens, reported.

    ## Use instead
    The part of the article the summary depends on (or the article split into sections, each
    summarised), so that prompt and completion fit the model's limit.

    ## Fix
    None automatic: shorten the prompt (keep the part the completion depends on), or split
    the example into several.

    ## Options
    - `max-tokens` (integer, default `0`: the model's limit): the most tokens an example may
      have, under `[tool.ftlint.rules.too-many-tokens]`.
    """

    code = "FT401"
    name = "too-many-tokens"
    severity = Severity.ERROR
    formats = frozenset({"prompt-completion"})

    @dataclass(frozen=True)
    class Options:
        max_tokens: int = 0

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        info = ctx.model_info
        limit = self.options.max_tokens if self.options.max_tokens > 0 else info.max_tokens
        raws = batch.raws
        # 1. The raw line bounds the UTF-8 bytes of its strings (JSON escapes are never shorter
        #    than the character), except where the reader replaced invalid bytes by U+FFFD.
        replaced = {issue.line for issue in batch.issues if issue.code == "FT006"}
        if not raws or (not replaced and max(map(len, raws)) <= limit):
            return
        prompts, completions, lines = batch.strings("prompt"), batch.strings("completion"), batch.lines
        quick = limit // 4  # characters: 4 * characters >= UTF-8 bytes
        long = numpy.flatnonzero(numpy.fromiter(map(len, raws), numpy.int64, len(raws)) > limit).tolist()
        if replaced:
            long = sorted(set(long).union(i for i, line in enumerate(lines) if line in replaced))
        texts: list[str] = []
        where: list[int] = []
        for i in long:
            p, c = prompts[i], completions[i]
            if p is None:
                if c is None:
                    continue
                p = ""
            elif c is None:
                c = ""
            n = len(p) + len(c)  # 2. characters <= bytes <= 4 * characters
            if n <= quick:
                continue
            if not (p.isascii() and c.isascii()):  # 3. exact UTF-8 length
                n = len(p.encode("utf-8", "surrogatepass")) + len(c.encode("utf-8", "surrogatepass"))
            if n <= limit:
                continue
            texts.append(p + c)
            where.append(i)
        if not texts:
            return
        counts = tokens.count_tokens_past(tokens.get_encoding(info.encoding), texts, limit)
        source = f"max-tokens ({limit:,})" if self.options.max_tokens > 0 else f"the {limit:,}-token limit of {info.name}"
        for i, (n, how) in zip(where, counts):
            if n > limit:
                size = f"at least {n:,} tokens ({info.encoding}, {how})" if how else f"{n:,} tokens ({info.encoding})"
                yield self.diagnostic(
                    ctx, lines[i],
                    f"prompt + completion is {size}, over {source}: shorten the prompt or split the example",
                    column=batch.column_of(i, "prompt"), pointer="/prompt",
                )


class LabelNotSingleToken(DatasetRule):
    """A class label encodes to more than one token.

    ## What it does
    In a classification dataset, encodes each distinct label (the completion exactly as
    written, leading space included, without the stop sequence it ends with: ` positive END`
    is judged as ` positive`) with the model's encoding (default model `davinci`, r50k_base;
    set `model` in the config or `--model`) and reports each label of more than one token
    once, on its first line, with its split into tokens and a single-token alternative found
    in that encoding's vocabulary: the same word respelled (` Positive`), else a short code.

    ## Why
    OpenAI's fine-tuning guide has classifiers answer with one token: the labels are single
    tokens, inference uses `max_tokens=1`, and `logprobs` gives each class's probability.
    A label of several tokens needs several generated tokens, its first token may be shared
    with other labels, and its probability is not read off one token. The guide's advice,
    numbers with a leading space (` 1`, ` 2`, ...), holds for its r50k_base models (ada to
    davinci) and p50k_base; under cl100k_base (`davinci-002`, `babbage-002`, gpt-3.5-turbo)
    and o200k_base (gpt-4o) a space before a digit is a token of its own (` 2` is
    `[" ", "2"]`), so there the codes are capital letters with a leading space (` A`, ` B`,
    ...), each checked to be one token.

    ## Example
    ```
    {"prompt": "Review: Best film I have seen this year!\\n\\n###\\n\\n", "completion": " Very positive"}
    ```
    ` Very positive` is 2 tokens, `[" Very", " positive"]`.

    ## Use instead
    ```
    {"prompt": "Review: Best film I have seen this year!\\n\\n###\\n\\n", "completion": " 5"}
    ```
    with the mapping (` 5` = very positive) kept beside the dataset.

    ## Fix
    None automatic: rename the class (for instance to a number with a leading space) and
    keep the mapping.
    """

    code = "FT402"
    name = "label-not-single-token"
    severity = Severity.WARNING
    formats = frozenset({"prompt-completion"})

    def new_state(self) -> LabelStats:
        return LabelStats(MAX_LABELS)

    def observe(self, state: LabelStats, batch: Batch, ctx: Context) -> None:
        if ctx.conventions.task == "classification":
            state.add(batch)

    def merge(self, a: LabelStats, b: LabelStats) -> LabelStats:
        return a.merge(b)

    def report(self, state: LabelStats, ctx: Context) -> Iterator[Diagnostic]:
        if ctx.conventions.task != "classification" or state.overflow or not state.counts:
            return
        info = ctx.model_info
        encoding = tokens.get_encoding(info.encoding)
        labels = state.by_first_line()
        stop = ctx.conventions.label_stop(labels)
        names = {label: without_stop(label, stop) for label in labels}
        codes = tokens.single_token_labels(encoding, len(labels), names.values())
        for number, label in enumerate(labels, 1):
            ids = encoding.encode_ordinary(names[label])
            if len(ids) <= 1:
                continue
            hint = self._alternative(encoding, info.encoding, names[label], codes[number - 1] if number <= len(codes) else None)
            line, column = state.first[label]
            judged = f" (without the stop {show(stop)})" if names[label] != label else ""
            yield self.diagnostic(
                ctx, line,
                f"label {show(names[label])}{judged} is {len(ids)} tokens under {info.name} ({info.encoding}): "
                f"{_pieces(encoding, ids)}; classifiers need single-token labels (max_tokens=1){hint}",
                column=column, pointer="/completion",
            )

    @staticmethod
    def _alternative(encoding: tiktoken.Encoding, encoding_name: str, label: str, code: str | None) -> str:
        """A single-token spelling of the same label, else the class's code from
        `tokens.single_token_labels` (numbers, or letters where numbers are not single tokens)."""
        core = label.strip()
        bare = core.rstrip(TRAILING_PUNCTUATION).rstrip() or core
        for candidate in (" " + core, " " + bare, " " + bare.lower()):
            if core and candidate != label and len(encoding.encode_ordinary(candidate)) == 1:
                return f": use {show(candidate)}"
        if tokens.numbers_are_single_tokens(encoding):
            return f": map the class to a number such as {show(code)}" if code else ": map the classes to numbers with a leading space"
        why = (f" (under {encoding_name} a space before a digit is a token of its own, so the guide's advice of numbers "
               f"with a leading space, written for r50k_base models, does not carry over)")
        if code:
            return f": map the class to a single-token code such as {show(code)}{why}"
        return f": map the classes to single-token words or capital letters with a leading space{why}"


# Keys whose strings the model reads or writes, in every format: prompt-completion, chat
# (messages and tool definitions), OpenAI preference data and TRL's.
TRAINED_KEYS = ("prompt", "completion", "messages", "tools", "functions", "input",
                "preferred_output", "non_preferred_output", "chosen", "rejected")
# A raw line can only hold a special token's text if it holds "<|", or escapes "<" (\u003c)
# or "|" (\u007c).
_MAY_HOLD = (re.compile(rb"<\|"), re.compile(rb"\\u00(?:3[cC]|7[cC])"))  # "<|", also written with escapes


def _strings(value: object, pointer: str) -> Iterator[tuple[str, str]]:
    """(JSON pointer, text) of every string within a value, in document order."""
    if type(value) is str:
        yield pointer, value
    elif type(value) is list:
        for k, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{k}")
    elif type(value) is dict:
        for key, item in value.items():
            yield from _strings(item, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")


def _place(pointer: str) -> str:
    """How a message names the text at `pointer`: "prompt", or "the text at /messages/1/content"."""
    return pointer[1:] if pointer in ("/prompt", "/completion") else f"the text at {pointer}"


class SpecialToken(Rule):
    """A text the model reads or writes contains the text of a special token.

    ## What it does
    Reports each text holding the text of one of the model encoding's special tokens, such as
    `<|endoftext|>` (every encoding) or `<|fim_prefix|>` and `<|endofprompt|>` (cl100k_base),
    at the column where it occurs: the prompt and completion, every string of a chat
    conversation (message content and content parts, names, tool-call and function-call
    arguments) and of its tool definitions, and the input and outputs of preference data.
    The model is `model` in the config or `--model` (default `davinci`, r50k_base, for
    prompt-completion data; gpt-4o-mini-2024-07-18, o200k_base, for chat and preference data).

    ## Why
    Tokenizers refuse such text by default (it would become the control token, not the
    characters), and the API rejects the example. Written as plain text it also often means
    that documents were glued together with their end-of-text markers.

    ## Example
    ```
    {"prompt": "Define: photosynthesis<|endoftext|>\\n\\n###\\n\\n", "completion": " The process by which plants make sugar from light. END"}
    {"messages": [{"role": "user", "content": "Hi<|endoftext|>"}, {"role": "assistant", "content": "Hello!"}]}
    ```

    ## Use instead
    ```
    {"prompt": "Define: photosynthesis\\n\\n###\\n\\n", "completion": " The process by which plants make sugar from light. END"}
    ```

    ## Fix
    None automatic: remove the marker, or split the text where it stands.
    """

    code = "FT403"
    name = "special-token"
    severity = Severity.ERROR

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        candidates = batch.matching(*_MAY_HOLD)
        if not candidates:
            return
        info = ctx.model_info
        specials = sorted(tokens.get_encoding(info.encoding).special_tokens_set)
        encoding_of = f"{info.encoding} ({info.name})"
        messages: dict[tuple[str, tuple[str, ...]], str] = {}  # (pointer, tokens) -> message
        for i in candidates:
            record = batch.values[i]
            assert record is not None
            searched_from = 0  # where in the raw line the previous text's token was found
            for key in TRAINED_KEYS:
                value = record.get(key)
                if value is None:
                    continue
                for pointer, text in _strings(value, "/" + key):
                    if "<|" not in text:
                        continue
                    found = sorted((text.find(s), s) for s in specials if s in text)
                    if not found:
                        continue
                    named = tuple(s for _, s in found[:3])
                    message = messages.get((pointer, named))
                    if message is None:
                        names = " and ".join(map(show, named))
                        plural = "s" if len(found) > 1 else ""
                        message = messages[(pointer, named)] = (
                            f"{_place(pointer)} contains the special token{plural} {names} of {encoding_of}: the API rejects it; "
                            f"remove it or write it differently")
                    column, searched_from = self._column(batch, i, key, found[0][1], searched_from)
                    yield self.diagnostic(ctx, batch.lines[i], message, column=column, pointer=pointer)

    @staticmethod
    def _column(batch: Batch, i: int, key: str, token: str, start: int) -> tuple[int, int]:
        """Column of the token's text in the raw line, searched from byte `start` on and after
        the key, and where to search for the next one; the key's column when the line spells
        the token with escapes."""
        raw = batch.raws[i]
        at = raw.find(token.encode(), max(start, raw.find(b'"' + key.encode() + b'"')))
        if at < 0:
            return batch.column_of(i, key), start
        return len(raw[:at].decode("utf-8", "replace")) + 1, at + 1


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [TooManyTokens, LabelNotSingleToken, SpecialToken]
