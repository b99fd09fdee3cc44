"""Rules for the preference (DPO) format (FT8xx):
`{"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}`."""
from __future__ import annotations

from collections.abc import Iterator

from ftlint import Context, Diagnostic, Rule, Severity, hookimpl
from ftlint.reader import Batch

OUTPUTS = ("preferred_output", "non_preferred_output")


def _output_text(output: object) -> str | None:
    """The assistant's text of a one-message output list, else None."""
    if type(output) is list and len(output) == 1 and type(output[0]) is dict:
        message = output[0]
        if message.get("role") == "assistant" and type(message.get("content")) is str:
            return message["content"]
    return None


class InvalidPreferenceRecord(Rule):
    """A preference record is not shaped as the API expects.

    ## What it does
    Reports records whose `input` has no list of `messages` ending in a user message, or whose
    `preferred_output` / `non_preferred_output` is not a list of exactly one assistant message
    with string content.

    ## Why
    Direct preference optimization compares two answers to the same conversation; a record
    without both answers, or without the conversation, is rejected.

    ## Example
    ```
    {"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": "Hello!"}
    ```
    """

    code = "FT801"
    name = "invalid-preference-record"
    severity = Severity.ERROR
    formats = frozenset({"preference"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i, (line, value) in enumerate(zip(batch.lines, batch.values)):
            if value is None:
                continue
            messages = value.get("input", {}).get("messages") if type(value.get("input")) is dict else None
            if type(messages) is not list or not messages:
                yield self.diagnostic(ctx, line, "`input.messages` must be a non-empty list of messages", column=batch.column_of(i, "input"), pointer="/input/messages")
            elif type(messages[-1]) is not dict or messages[-1].get("role") != "user":
                yield self.diagnostic(ctx, line, "`input.messages` must end with the user message the outputs answer", column=batch.column_of(i, "input"), pointer=f"/input/messages/{len(messages) - 1}")
            for key in OUTPUTS:
                if _output_text(value.get(key)) is None:
                    what = "is missing" if key not in value else "must be a list of one assistant message with string content"
                    yield self.diagnostic(ctx, line, f"`{key}` {what}", column=batch.column_of(i, key), pointer=f"/{key}")


class IdenticalOutputs(Rule):
    """The preferred and non-preferred answers are the same.

    ## What it does
    Reports records whose two outputs have the same text (ignoring surrounding whitespace).

    ## Why
    Such a pair carries no preference: it only adds noise to training.
    """

    code = "FT802"
    name = "identical-outputs"
    severity = Severity.WARNING
    formats = frozenset({"preference"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        preferred, rejected = batch.values_of(OUTPUTS[0]), batch.values_of(OUTPUTS[1])
        for i, (line, good, bad) in enumerate(zip(batch.lines, preferred, rejected)):
            a, b = _output_text(good), _output_text(bad)
            if a is not None and b is not None and a.strip() == b.strip():
                yield self.diagnostic(ctx, line, "preferred and non-preferred outputs are identical", column=batch.column_of(i, OUTPUTS[1]), pointer=f"/{OUTPUTS[1]}/0/content")


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [InvalidPreferenceRecord, IdenticalOutputs]
