"""Content problems a careful reviewer sees (FT9xx), in every format.

Each rule looks at the texts of a record (`ftlint.record_text.fields`: prompts, completions,
message contents, tool-call arguments, preferred and rejected answers) with their JSON pointers.
Most records have none of these problems, so every per-record rule first finds its candidate
lines with a few regular expressions over the raw bytes of the batch (`batch.matching`) and
looks only at those. Each expression starts with a literal character, so `re` scans fast
(a top-level alternation would be 10x slower: measured 0.35 s against 0.02-0.03 s per 30 MB);
where a writer may have escaped a character of the pattern (`\\u003c` for `<`), the escaped
form is a pattern of its own.
"""
from __future__ import annotations

import ast
import re
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import and_, contains, eq, is_not, itemgetter, le, not_
from typing import Any, ClassVar

import numpy as np

from ftlint import Applicability, Batch, Context, DatasetRule, Diagnostic, Edit, Fix, Location, Rule, Severity, hookimpl, none_as_empty, present_values, where
from ftlint.formats import record_formats
from ftlint.record_text import Field, answer_texts, fields, prompt_texts
from ftlint.text import show

# The raw-line scans of the per-record rules below, one per leading character: a rule's
# candidates are the lines where a scan it uses matches (any alternative, also another rule's:
# each rule then checks its candidates exactly), and rules that use the same scan share it.
_BRACKET = re.compile(rb"\[(?:[A-Z][a-z]|[Ii]nsert |/?INST\]|\s*[\[{]?\s*')")  # [Name], [insert x], [INST], ['a', ...]
_BRACE = re.compile(rb"\{(?:\{|[a-z][a-z0-9_]{1,40}\}|\s*')")  # {{x}}, {name}, {'a': ...}
_ANGLE = re.compile(rb"<(?:\||/?s>|<|start_of|end_of)")  # <|im_start|>, <s>, <<SYS>>, <start_of_turn>
_ESCAPE = re.compile(rb"\\(?:u00(?:3[cC]|[cC][23]|[eE]2)|\\[nt])")  # \u003c (<), \u00c3 (mojibake), \\n (escaped twice)
_MOJIBAKE = re.compile(rb"\xc3[\x82\x83\xa2]")


def _set(ctx: Context, line: int, pointer: str, value: str, title: str) -> Fix:
    return Fix(title, (Edit(line, "set", pointer, value),), Applicability.UNSAFE)


class JunkOutput(Rule):
    """An answer is junk: empty, "NA", "TODO", "...", keyboard mash ("sdfsdf") or lorem ipsum.

    ## What it does
    Reports an answer the model would learn from (a completion, an assistant message, a
    preferred output) that holds no real answer: empty or only whitespace (chat and preference
    data; FT103 covers empty completions), a stand-in such as `NA`, `N/A`, `null`, `none`,
    `TODO`, `TBD`, `?`, `-`, `...`, a run of one key (`xxxx`), a repeated keyboard pattern
    (`sdfsdf`, `asdasd`) or lorem ipsum.

    ## Why
    OpenAI's guide asks for examples of the behaviour you want. A model fine-tuned on
    "NA" answers learns to answer "NA"; such rows are usually placeholders from a spreadsheet
    that was never filled in.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Where is my order?"}, {"role": "assistant", "content": "NA"}]}
    ```

    ## Use instead
    Write the answer, or drop the record.

    ## Fix
    None: only a person knows the answer.
    """

    code = "FT901"
    name = "junk-output"
    severity = Severity.WARNING
    _STAND_INS: ClassVar[frozenset[str]] = frozenset(
        {"na", "n/a", "n.a.", "null", "none", "nil", "nan", "todo", "tbd", "tbc", "?", "??", "???", "-", "--", "...",
         "…", "test", "asdf", "qwerty", "xxx", "placeholder", "lorem ipsum", "answer", "response", "output", "<answer>"}
    )
    _MASH = re.compile(r"(?i)([a-z]{2,4})\1+[a-z]{0,3}|([a-z])\2{3,}")
    _SHORT = (re.compile(rb'"content"\s*:\s*(?:"[^"]{0,24}"|null)'), re.compile(rb'"chosen"\s*:\s*"[^"]{0,24}"'))

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        stop = ctx.conventions.stop
        if ctx.conventions.format == "prompt-completion":
            completions = batch.texts("completion")
            rows = where(map(le, map(len, completions), repeat(24 + len(stop or ""))))
            reasons = {text: self._junk(Field("/completion", "output", "assistant", text), stop) for text in {completions[i] for i in rows}}
            for i in rows:
                if reasons[completions[i]]:
                    yield self.diagnostic(ctx, batch.lines[i], f"answer is {reasons[completions[i]]}: the model learns to give it", pointer="/completion")
            return
        for i in batch.matching(*self._SHORT):
            record = batch.values[i]
            assert record is not None
            for f in fields(record, only="output"):
                reason = self._junk(f, stop)
                if reason:
                    yield self.diagnostic(ctx, batch.lines[i], f"answer is {reason}: the model learns to give it", pointer=f.pointer)

    def _junk(self, f: Field, stop: str | None) -> str | None:
        text = f.text[: -len(stop)] if stop and f.text.endswith(stop) else f.text
        core = text.strip()
        if not core:
            return None if f.pointer == "/completion" else "empty"  # FT103 reports empty completions
        if len(core) > 24:
            return None
        folded = core.casefold()
        if folded in self._STAND_INS or folded.startswith("lorem ipsum"):
            return f"a stand-in ({show(core)})"
        if self._MASH.fullmatch(core) and not core.isupper():
            return f"keyboard mash ({show(core)})"
        return None


class PlaceholderText(Rule):
    """A text holds an unfilled placeholder: `[Customer Name]`, `{product_purchased}`, `{{var}}`.

    ## What it does
    Reports template fields left in a prompt, a message or an answer: a bracketed title-case
    name (`[Customer Name]`, `[Your Name]`, `[insert date]`), a single identifier in braces
    (`{name}`, `{product_purchased}`) or in double braces (`{{ var }}`). Texts that look like
    code (a code fence, or braces around JSON) are left alone.

    ## Why
    The data was generated from a template whose fields were never filled. The model learns to
    write `[Customer Name]` in its answers, or never sees the real value it should use.

    ## Example
    ```
    {"prompt": "Write a thank-you note for {product_purchased} ->", "completion": " Dear [Customer Name], thank you!"}
    ```

    ## Use instead
    Fill the fields before exporting the data.

    ## Fix
    None: the value is unknown.
    """

    code = "FT902"
    name = "placeholder-text"
    severity = Severity.WARNING
    # Each branch starts with "[" or "{" (the lookbehind of a single-brace field after its
    # brace), so the regex engine skips to those characters instead of trying every position.
    _FIELD = re.compile(r"\[(?:[Ii]nsert [^\]\n]{1,40}|[A-Z][a-z]+(?: [A-Z][a-z]+){0,3})\]"
                        r"|\{(?:\{\s*[A-Za-z_][\w.]{0,40}\s*\}\}|(?<![{$\\]\{)[a-z][a-z0-9_]{1,40}\}(?!\}))")
    _PREFILTER = (_BRACKET, _BRACE)
    _NOT_A_FIELD = frozenset({"[Verse]", "[Chorus]", "[Intro]", "[Outro]", "[Bridge]", "[Music]", "[Applause]", "[Laughter]"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        messages: dict[tuple[str, str], str] = {}  # (placeholder, " and N more") -> message
        formats = batch.derived(record_formats)
        for i in batch.matching(*self._PREFILTER):
            record = batch.values[i]
            assert record is not None
            found: list[tuple[str, str]] = []  # (placeholder, pointer)
            for f in fields(record, formats[i]):
                if ("[" in f.text or "{" in f.text) and "```" not in f.text and f.kind != "tool-arguments":  # every placeholder has one
                    found += [(m.group(), f.pointer) for m in self._FIELD.finditer(f.text) if m.group() not in self._NOT_A_FIELD]
            if found:
                more = f" and {len(found) - 1} more" if len(found) > 1 else ""
                message = messages.get((found[0][0], more)) or messages.setdefault((found[0][0], more), f"unfilled placeholder {show(found[0][0])}{more}")
                yield self.diagnostic(ctx, batch.lines[i], message, pointer=found[0][1])


@dataclass
class _Endings:
    """Per answer: its line, its length and whether it ends like a finished text (numpy, mergeable)."""

    lines: list[np.ndarray] = field(default_factory=list)
    lengths: list[np.ndarray] = field(default_factory=list)
    finished: list[np.ndarray] = field(default_factory=list)

    def merge(self, later: _Endings) -> _Endings:
        return _Endings(self.lines + later.lines, self.lengths + later.lengths, self.finished + later.finished)


class CutOffOutput(DatasetRule):
    """Answers look cut off at a length limit.

    ## What it does
    Looks at the answers of the whole file (completions without the stop sequence, last
    assistant messages, preferred outputs) for the two traces a length limit leaves, and
    reports each once for the file, with the first lines:
    - many answers are exactly as long as the longest one (at least 3, and 2% of the answers,
      of 20 characters or more);
    - the longest answers end mid-sentence (on a letter, a digit or a comma) far more often
      than the others: at least 3 and 40% of the longest fifth, and three times the share of
      the rest. An answer without a final full stop is common in casual data; one that is
      unfinished exactly where answers are longest is a cut.

    ## Why
    A model trained on cut-off answers learns to stop mid-sentence. Generated or scraped data
    is often cut at a character or token limit by the tool that produced it.

    ## Example
    ```
    {"prompt": "Explain photosynthesis ->", "completion": " Plants turn light into chemical energy, storing it in sug END"}
    ```
    among answers whose longest ones all stop like this.

    ## Use instead
    Regenerate or complete the answers, or drop the cut ones.

    ## Fix
    None.
    """

    code = "FT903"
    name = "cut-off-output"
    severity = Severity.WARNING

    def new_state(self) -> _Endings:
        return _Endings()

    def observe(self, state: _Endings, batch: Batch, ctx: Context) -> None:
        every = answer_texts(batch)
        present = None if None not in every else list(map(is_not, every, repeat(None)))
        answers = every if present is None else list(compress(every, present))
        lines = batch.lines if present is None else list(compress(batch.lines, present))
        stop = ctx.conventions.stop
        cut = list(map(str.removesuffix, answers, repeat(stop))) if stop else answers
        last = list(map(itemgetter(slice(-1, None)), map(str.rstrip, cut)))  # the last character that is no space
        open_ended = np.fromiter(map(str.isalnum, last), bool, len(cut)) | np.fromiter(map(eq, last, repeat(",")), bool, len(cut))
        state.lines.append(np.array(lines, np.int64))
        state.lengths.append(np.fromiter(map(len, cut), np.int64, len(cut)))  # as cut: a cut before a space keeps the space
        state.finished.append(~open_ended)

    def merge(self, a: _Endings, b: _Endings) -> _Endings:
        return a.merge(b)

    def report(self, state: _Endings, ctx: Context) -> Iterator[Diagnostic]:
        if not state.lines:
            return
        lines, lengths, finished = (np.concatenate(x) for x in (state.lines, state.lengths, state.finished))
        if not len(lines):
            return
        longest = int(lengths.max())
        at_limit = np.flatnonzero(lengths == longest)
        if longest >= 20 and len(at_limit) >= max(3, 0.02 * len(lines)):
            yield self._finding(ctx, lines[at_limit], f"{len(at_limit):,} answers are exactly {longest:,} characters long, "
                                "the longest in the file: cut at a length limit?")
            return
        if len(lines) < 20 or ctx.conventions.task == "classification":
            return
        top = lengths >= np.quantile(lengths, 0.8)
        if top.sum() > 0.3 * len(lines):
            return  # no long tail: most answers are about as long as the longest
        cut = top & ~finished
        rest_share = (~top & ~finished).sum() / max((~top).sum(), 1)
        top_share = cut.sum() / top.sum()
        if cut.sum() >= 3 and top_share >= 0.4 and top_share >= 3 * rest_share:
            yield self._finding(ctx, lines[cut], f"{int(cut.sum()):,} of the {int(top.sum()):,} longest answers end mid-sentence "
                                f"({rest_share:.0%} of the others do): cut at a length limit?")

    def _finding(self, ctx: Context, lines: np.ndarray, message: str) -> Diagnostic:
        related = tuple(Location(ctx.path, int(line)) for line in lines[1:4])
        return self.diagnostic(ctx, int(lines[0]), message, related=related)


@dataclass
class _Giveaways:
    lines: list[int] = field(default_factory=list)  # the first few records that give the answer away
    count: int = 0
    total: int = 0

    def merge(self, later: _Giveaways) -> _Giveaways:
        return _Giveaways((self.lines + later.lines)[:4], self.count + later.count, self.total + later.total)


class AnswerInPrompt(DatasetRule):
    """The answer is given away in the input of most records.

    ## What it does
    Counts the records whose answer (the completion, the last assistant message, the preferred
    output; without surrounding whitespace and the stop sequence) occurs verbatim in their
    prompt (the prompt, or the messages before the answer, system message included). When
    that is true of at least `min-share` of the records, reports it once for the file with
    the first such lines. For a classifier, a label counts as given away only when the prompt
    does not also list the other labels (a prompt that offers every choice gives nothing away).

    ## Why
    The model learns to copy from its input instead of learning the task, and the validation
    loss looks excellent. Typical causes: the answer column was also pasted into the prompt
    template, or a system message that holds the expected output.

    ## Example
    ```
    {"prompt": "Review: Loved it. Sentiment: positive ->", "completion": " positive"}
    ```

    ## Use instead
    Build the prompt from the input columns only.

    ## Fix
    None.

    ## Options
    - `min-share` (float, default 0.5): share of records that must give their answer away.
    """

    code = "FT904"
    name = "answer-in-prompt"
    severity = Severity.WARNING

    @dataclass
    class Options:
        min_share: float = 0.5

    def new_state(self) -> _Giveaways:
        return _Giveaways()

    def observe(self, state: _Giveaways, batch: Batch, ctx: Context) -> None:
        prompts, answers = none_as_empty(prompt_texts(batch)), none_as_empty(answer_texts(batch))
        stop = ctx.conventions.stop
        answers = list(map(str.strip, map(str.removesuffix, answers, repeat(stop)) if stop else answers))
        state.total += sum(map(bool, answers))
        labels = [c.strip() for c in ctx.conventions.classes if c.strip()] if ctx.conventions.task == "classification" else []
        for i in where(map(and_, map(bool, answers), map(contains, prompts, answers))):  # a non-empty answer in its prompt
            if labels and all(label in prompts[i] for label in labels):
                continue  # the prompt offers every choice: nothing given away
            state.count += 1
            if len(state.lines) < 4:
                state.lines.append(batch.lines[i])

    def merge(self, a: _Giveaways, b: _Giveaways) -> _Giveaways:
        return a.merge(b)

    def report(self, state: _Giveaways, ctx: Context) -> Iterator[Diagnostic]:
        if state.total >= 3 and state.count >= 3 and state.count >= self.options.min_share * state.total:
            related = tuple(Location(ctx.path, line) for line in state.lines[1:])
            yield self.diagnostic(
                ctx, state.lines[0], f"the answer occurs verbatim in the prompt in {state.count:,} of {state.total:,} records: "
                "the model learns to copy it", related=related,
            )


class ChatTemplateToken(Rule):
    """A text holds another model's chat-template markup: `<|im_start|>`, `[INST]`, `<s>`.

    ## What it does
    Reports chat-template tokens baked into prompts, messages or answers: ChatML
    (`<|im_start|>`, `<|im_end|>`), Llama (`[INST]`, `[/INST]`, `<<SYS>>`, `<s>`, `</s>`),
    Llama 3 (`<|start_header_id|>`, `<|eot_id|>`), Gemma (`<start_of_turn>`), Zephyr/Phi
    (`<|user|>`, `<|assistant|>`, `<|system|>`, `<|end|>`). The text of the special tokens of
    OpenAI's own encodings is FT403's.

    ## Why
    The fine-tuning API applies its own template. Markup from another model's template is then
    plain text the model learns to write: answers start with `<|im_start|>assistant`.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "[INST] Translate 'cat' to French [/INST]"}, {"role": "assistant", "content": "chat"}]}
    ```

    ## Use instead
    Give each turn as its own message with its role, without template markup.

    ## Fix
    None: removing the markup needs a person to check what the turns were.
    """

    code = "FT905"
    name = "chat-template-token"
    severity = Severity.WARNING
    _TOKENS = re.compile(
        r"<\|im_start\|>|<\|im_end\|>|\[/?INST\]|<</?SYS>>|</?s>|<\|start_header_id\|>|<\|end_header_id\|>|<\|eot_id\|>"
        r"|<\|begin_of_text\|>|<start_of_turn>|<end_of_turn>|<\|(?:user|assistant|system|end)\|>"
    )
    _PREFILTER = (_ANGLE, _BRACKET, _ESCAPE)

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        messages: dict[str, str] = {}  # token -> message
        formats = batch.derived(record_formats)
        for i in batch.matching(*self._PREFILTER):
            record = batch.values[i]
            assert record is not None
            for f in fields(record, formats[i]):
                match = self._TOKENS.search(f.text) if "<" in f.text or "[" in f.text else None  # every token starts with one
                if match:
                    token = match.group()
                    message = messages.get(token) or messages.setdefault(token, f"text holds the chat-template token {show(token)}")
                    yield self.diagnostic(ctx, batch.lines[i], message, pointer=f.pointer)


class ConsecutiveSameRole(Rule):
    """Two messages in a row have the same role (user after user, assistant after assistant).

    ## What it does
    Reports, once per conversation, the first message that follows a message of the same role
    (`user` or `assistant`; several `tool` results in a row are normal). Applies to chat
    records and to the conversations of preference records.

    ## Why
    Conversations alternate. Two user turns in a row usually mean a turn was lost or split when
    the data was exported; two assistant turns teach the model to talk to itself.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Are you there?"}, {"role": "assistant", "content": "Yes!"}]}
    ```

    ## Use instead
    Merge the two turns into one message, or restore the missing turn.

    ## Fix
    None: whether to merge or restore needs a person.
    """

    code = "FT906"
    name = "consecutive-same-role"
    severity = Severity.WARNING
    formats = frozenset({"chat", "preference"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        # Every conversation has roles: no prefilter on the bytes; equal neighbours are first
        # looked for among all roles, then confirmed for user and assistant.
        for i, record in enumerate(batch.values):
            if record is None:
                continue
            for base, messages in self._conversations(record):
                roles = [message.get("role") if type(message) is dict else None for message in messages]
                if not any(a == b for a, b in zip(roles, roles[1:])):
                    continue
                previous = None
                for k, message in enumerate(messages):
                    role = message.get("role") if type(message) is dict else None
                    if role in ("user", "assistant") and role == previous:
                        yield self.diagnostic(ctx, batch.lines[i], f"two {role} messages in a row (messages {k} and {k + 1})", pointer=f"{base}/{k}")
                        break
                    previous = role

    @staticmethod
    def _conversations(record: dict) -> Iterator[tuple[str, list[Any]]]:
        if type(record.get("messages")) is list:
            yield "/messages", record["messages"]
        given = record.get("input")
        if type(given) is dict and type(given.get("messages")) is list:
            yield "/input/messages", given["messages"]


class DoubleEscapedText(Rule):
    """A text was escaped twice: literal `\\n` where line breaks were meant.

    ## What it does
    Reports a text that holds two or more literal backslash escapes (`\\n`, `\\t`, `\\"`) and
    no real line break: the JSON was written from strings that were already escaped. Tool-call
    arguments and texts that look like code (a code fence) are left alone.

    ## Why
    The model sees a backslash and an `n`, not a line break, and learns to write `\\n` in its
    answers.

    ## Example
    ```
    {"prompt": "Address:\\\\n10 Downing St\\\\nLondon ->", "completion": " UK"}
    ```

    ## Use instead
    Write the text once as JSON: `"Address:\\n10 Downing St\\nLondon ->"`.

    ## Fix
    Unsafe: unescapes `\\n`, `\\t`, `\\"` and `\\\\` in the text (a literal backslash that was
    meant would be changed too: review with --diff).
    """

    code = "FT907"
    name = "double-escaped-text"
    severity = Severity.WARNING
    _ESCAPES = re.compile(r'\\[nt"\\]')
    _PREFILTER = (_ESCAPE,)

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i in batch.matching(*self._PREFILTER):
            record = batch.values[i]
            assert record is not None
            for f in fields(record):
                if f.kind == "tool-arguments" or "\n" in f.text or "```" in f.text:
                    continue
                if len(re.findall(r"\\[nt]", f.text)) >= 2:
                    fixed = self._ESCAPES.sub(lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}[m.group()[1]], f.text)
                    fix = _set(ctx, batch.lines[i], f.pointer, fixed, "Unescape the text")
                    yield self.diagnostic(ctx, batch.lines[i], "text holds literal \\n escapes and no line break: escaped twice?", pointer=f.pointer, fix=fix)


class PythonReprString(Rule):
    """A message's `content` or `tool_calls` is a Python repr string (`"[{'id': ...}]"`).

    ## What it does
    Reports a text that is, as a whole, a Python literal of a list or a dict written with
    single quotes, `True`/`False`/`None` (`"[{'type': 'text', 'text': 'Hi'}]"`), and a
    `tool_calls` or `content` field that is such a string instead of JSON.

    ## Why
    The data was exported with `str()` of Python objects instead of JSON. The API takes the
    string as text, so the model learns to write Python reprs instead of making tool calls or
    answering.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": "[{'id': 'call_1', 'type': 'function'}]"}]}
    ```

    ## Use instead
    Serialise the objects with `json.dumps` and put them in the record as JSON values.

    ## Fix
    None: the structure the repr stood for needs checking.
    """

    code = "FT908"
    name = "python-repr-string"
    severity = Severity.WARNING
    _PREFILTER = (_BRACKET, _BRACE)

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i in batch.matching(*self._PREFILTER):
            record = batch.values[i]
            assert record is not None
            texts = [(f.pointer, f.text) for f in fields(record)]
            for k, message in enumerate(record.get("messages") or [] if type(record.get("messages")) is list else []):
                if type(message) is dict and type(message.get("tool_calls")) is str:
                    texts.append((f"/messages/{k}/tool_calls", message["tool_calls"]))
            for pointer, text in texts:
                if self._is_repr(text):
                    yield self.diagnostic(ctx, batch.lines[i], "text is a Python repr of a list or dict, not JSON", pointer=pointer)

    @staticmethod
    def _is_repr(text: str) -> bool:
        text = text.strip()
        if not (text[:1] in "[{" and text[-1:] in "]}" and "'" in text[:4]):
            return False
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return False
        return isinstance(value, (list, dict))


class Mojibake(Rule):
    """A text is mojibake: UTF-8 decoded as another encoding (`CafÃ©`, `itâ€™s`).

    ## What it does
    Reports texts that ftfy (a well-kept library for this) judges to be UTF-8 that was decoded
    as Windows-1252 or Latin-1 somewhere on its way into the dataset.

    ## Why
    The model learns to write `â€™` for an apostrophe. It happens when a CSV export or a
    scraper guessed the wrong encoding.

    ## Example
    ```
    {"prompt": "Review: The cafÃ© was lovely ->", "completion": " positive"}
    ```

    ## Use instead
    Read the source with the right encoding, or repair the text with `ftfy.fix_text`.

    ## Fix
    Unsafe: repairs the text with `ftfy.fix_encoding` (review with --diff).
    """

    code = "FT909"
    name = "mojibake"
    severity = Severity.WARNING
    _PREFILTER = (_MOJIBAKE, _ESCAPE)

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        found = batch.matching(*self._PREFILTER)
        if not found:
            return
        from ftfy import fix_encoding
        from ftfy.badness import is_bad

        for i in found:
            record = batch.values[i]
            assert record is not None
            for f in fields(record):
                if is_bad(f.text):
                    repaired = fix_encoding(f.text)
                    fix = _set(ctx, batch.lines[i], f.pointer, repaired, "Repair the encoding") if repaired != f.text else None
                    yield self.diagnostic(ctx, batch.lines[i], f"text is mojibake (UTF-8 read as another encoding): {show(f.text)}", pointer=f.pointer, fix=fix)


class PersonalData(Rule):
    """A text holds personal data: an e-mail address or a phone number.

    ## What it does
    Reports e-mail addresses and phone numbers (validated with `phonenumbers`, Google's
    libphonenumber; numbers without a country code are read in the region of the option
    `region`) in any text. Not in the default selection: select it with
    `--extend-select FT911`.

    ## Why
    A model can repeat what it was trained on. Personal data in training examples can leak to
    anyone who uses the model, and may not be yours to share with the API.

    ## Example
    ```
    {"prompt": "Customer jane.doe@example.com says the parcel is late ->", "completion": " shipping"}
    ```

    ## Use instead
    Replace personal data with realistic fake values before fine-tuning.

    ## Fix
    None.

    ## Options
    - `region` (str, default "US"): the region for phone numbers without a country code.
    """

    code = "FT911"
    name = "personal-data"
    severity = Severity.INFO
    opt_in = True
    _EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
    _PREFILTER = (re.compile(rb"@[\w-]+\."), re.compile(rb"000"))  # the second on the block with digits as 0
    _DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")

    @dataclass
    class Options:
        region: str = "US"

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        # Three digits in a row, found with a literal search on a translated copy of the block:
        # a regular expression that starts with a character class scans 15x slower.
        email, digits = self._PREFILTER
        found = sorted(set(batch.matching(email)) | set(batch.matching(digits, table=self._DIGITS_AS_ZERO)))
        if not found:
            return
        import phonenumbers

        for i in found:
            record = batch.values[i]
            assert record is not None
            for f in fields(record):
                if f.kind == "tool-arguments":
                    continue
                email = self._EMAIL.search(f.text)
                if email:
                    yield self.diagnostic(ctx, batch.lines[i], f"text holds an e-mail address {show(email.group())}", pointer=f.pointer)
                    continue
                for match in phonenumbers.PhoneNumberMatcher(f.text, self.options.region):
                    yield self.diagnostic(ctx, batch.lines[i], f"text holds a phone number {show(match.raw_string)}", pointer=f.pointer)
                    break


@dataclass
class _Markers:
    counts: Counter[str] = field(default_factory=Counter)  # marker -> records with it in the preferred answer
    against: Counter[str] = field(default_factory=Counter)  # marker -> records with it in the rejected answer
    first: dict[str, int] = field(default_factory=dict)  # marker -> first line
    records: int = 0

    def merge(self, later: _Markers) -> _Markers:
        first = dict(later.first)
        first.update(self.first)
        return _Markers(self.counts + later.counts, self.against + later.against, first, self.records + later.records)


class PreferenceMarkerBias(DatasetRule):
    """A marker appears far more often in the preferred answers than in the rejected ones.

    ## What it does
    In preference data, counts the records whose preferred answer holds a marker (a bracketed
    or braced field such as `[Citation]` or `{name}`, an angle-bracket tag, a markdown heading
    or bold label) and those whose non-preferred answer does. A marker in at least 10
    preferred answers and at least five times as many preferred as non-preferred answers (or
    the other way round) is reported once, with its counts.

    ## Why
    Preference optimisation learns whatever separates the preferred answers from the others.
    A placeholder that only the preferred answers carry (75 of 200 against 4 of 200 in a real
    file) is learnt as the thing to write, instead of the quality the data was meant to teach.

    ## Example
    Preferred answers that end in `[Source]` in 75 records, rejected ones in 4.

    ## Use instead
    Remove the marker from both sides, or make it appear on both alike.

    ## Fix
    None.
    """

    code = "FT912"
    name = "preference-marker-bias"
    severity = Severity.WARNING
    formats = frozenset({"preference"})
    _MARKER = re.compile(r"\[[^\]\n]{1,40}\]|\{\{?[^}\n]{1,40}\}?\}|<[A-Za-z/][^>\n]{0,30}>|^#{1,6} [^\n]{1,40}|\*\*[^*\n]{1,30}\*\*", re.M)

    def new_state(self) -> _Markers:
        return _Markers()

    def observe(self, state: _Markers, batch: Batch, ctx: Context) -> None:
        for line, record in zip(batch.lines, batch.values):
            if record is None:
                continue
            preferred: set[str] = set()
            rejected: set[str] = set()
            for f in fields(record):
                if f.kind in ("output", "rejected") and not f.pointer.startswith("/input"):
                    (preferred if f.kind == "output" else rejected).update(self._MARKER.findall(f.text))
            if not (preferred or rejected):
                state.records += 1
                continue
            state.records += 1
            state.counts.update(preferred)
            state.against.update(rejected)
            for marker in preferred | rejected:
                state.first.setdefault(marker, line)

    def merge(self, a: _Markers, b: _Markers) -> _Markers:
        return a.merge(b)

    def report(self, state: _Markers, ctx: Context) -> Iterator[Diagnostic]:
        for marker in sorted(set(state.counts) | set(state.against), key=lambda m: state.first[m]):
            pro, con = state.counts[marker], state.against[marker]
            side, other = ("preferred", "non-preferred") if pro >= con else ("non-preferred", "preferred")
            high, low = max(pro, con), min(pro, con)
            if high >= 10 and high >= 5 * max(low, 1):
                yield self.diagnostic(
                    ctx, state.first[marker], f"{show(marker)} is in {high:,} {side} answers but only {low:,} {other} ones "
                    f"(of {state.records:,} records): the optimiser learns it",
                )


class MostlyUppercase(DatasetRule):
    """More than a third of the letters of the prompts, or of the completions, are capitals.

    ## What it does
    Counts the capital and small letters (A to Z) of all prompts and of all completions and
    reports, once for the file and per key, when capitals are more than a third of them.

    ## Why
    Text in capitals tends to train worse than the mixture of case of normal language
    (`openai tools fine_tunes.prepare_data` suggested lower-casing it). Whether case carries
    meaning (codes, acronyms, shouting as a signal) only you can tell, so ftlint does not
    lower-case on its own.

    ## Example
    ```
    {"prompt": "REVIEW: CRISP SOUND, GOOD BASS\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Use instead
    ```
    {"prompt": "Review: crisp sound, good bass\\n\\n###\\n\\n", "completion": " positive"}
    ```

    ## Fix
    Unsafe, and only when the rule is selected by its code or name (`--select FT910` or
    `--extend-select mostly-uppercase`, not by a prefix or ALL) with `--unsafe-fixes`: lower-cases
    every text of that key; each changed line goes to `<name>.removed.jsonl`.
    """

    code = "FT910"
    name = "mostly-uppercase"
    severity = Severity.INFO
    formats = frozenset({"prompt-completion"})
    explicit_fix = True
    KEYS = ("prompt", "completion")

    def new_state(self) -> dict:
        return {key: [0, 0, array("q")] for key in self.KEYS}  # capitals, small letters, lines of the texts

    def observe(self, state: dict, batch: Batch, ctx: Context) -> None:
        for key in self.KEYS:
            texts, lines = present_values(batch, key)
            ascii = list(map(str.isascii, texts))
            joined = "".join(compress(texts, ascii)).encode("ascii")  # a copy: joining wider text first would make it slow to encode
            if not all(ascii):
                joined += "".join(compress(texts, map(not_, ascii))).encode("utf-8", "surrogatepass")
            octets = np.frombuffer(joined, np.uint8)  # UTF-8 holds A-Z and a-z only as themselves
            state[key][0] += int(np.count_nonzero(octets - 65 < 26))  # A-Z (uint8 wraps around below 65)
            state[key][1] += int(np.count_nonzero(octets - 97 < 26))  # a-z
            state[key][2].extend(lines)

    def merge(self, a: dict, b: dict) -> dict:
        return {key: [a[key][0] + b[key][0], a[key][1] + b[key][1], a[key][2] + b[key][2]] for key in self.KEYS}

    def report(self, state: dict, ctx: Context) -> Iterator[Diagnostic]:
        for key in self.KEYS:
            upper, lower, lines = state[key]
            if upper * 2 > lower and lines:
                edits = tuple(Edit(line, "lowercase", f"/{key}") for line in lines)
                fix = Fix(f"Lower-case every {key}", edits, Applicability.UNSAFE)
                yield self.diagnostic(ctx, lines[0], f"{upper / (upper + lower):.0%} of the letters of the {key}s are capitals: text in capitals "
                                      "tends to train worse than normal case; lower-case it if case means nothing in your domain",
                                      pointer=f"/{key}", fix=fix)


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [JunkOutput, PlaceholderText, CutOffOutput, AnswerInPrompt, ChatTemplateToken, ConsecutiveSameRole,
            DoubleEscapedText, PythonReprString, Mojibake, MostlyUppercase, PersonalData, PreferenceMarkerBias]
