"""Rules for the preference (DPO) format (FT8xx):
`{"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}`."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ftlint import Batch, Context, Diagnostic, Rule, Severity, hookimpl
from ftlint.text import show

OUTPUTS = ("preferred_output", "non_preferred_output")


def _output_text(output: object) -> str | None:
    """The assistant's text of a one-message output list, else None."""
    if type(output) is list and len(output) == 1 and type(output[0]) is dict:
        message = output[0]
        if message.get("role") == "assistant" and type(message.get("content")) is str:
            return message["content"]
    return None


def _input_messages(value: dict) -> Any:
    given = value.get("input")
    return given.get("messages") if type(given) is dict else None


def _described(message: Any) -> str:
    """A message for a finding: `a "system" message`."""
    role = message.get("role") if type(message) is dict else None
    if type(message) is not dict:
        return f"a {type(message).__name__}, not a message"
    return f"a {show(role, 20)} message" if type(role) is str else "a message without a role"


class InvalidPreferenceRecord(Rule):
    """A preference record lacks its conversation or one of its outputs.

    ## What it does
    Reports, in one finding per record naming everything wrong with it, records whose `input`
    has no non-empty list of `messages`, whose input ends with
    a message that is neither the user's, a tool's nor the assistant's (FT803 reports an
    assistant message there), or whose `preferred_output` / `non_preferred_output` is missing
    or not a list (FT804 reports a list that is not one assistant message).

    ## Why
    Direct preference optimization compares two answers to the same conversation; a record
    without both answers, or without the conversation, is rejected.

    ## Example
    ```
    {"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": "Hello!"}
    ```

    ## Use instead
    ```
    {"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": [{"role": "assistant", "content": "Hello!"}], "non_preferred_output": [{"role": "assistant", "content": "What?"}]}
    ```

    ## Fix
    None automatic: write both answers as one-message lists, after the conversation.
    """

    code = "FT801"
    name = "invalid-preference-record"
    severity = Severity.ERROR
    formats = frozenset({"preference"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i, (line, value) in enumerate(zip(batch.lines, batch.values)):
            if value is None:
                continue
            problems: list[tuple[str, str, str]] = []  # (what, the key it is at, JSON pointer), one finding for all
            messages = _input_messages(value)
            if type(messages) is not list or not messages:
                problems.append(("`input.messages` must be a non-empty list of messages", "input", "/input/messages"))
            elif type(messages[-1]) is not dict or messages[-1].get("role") not in ("user", "tool", "assistant"):
                problems.append((f"`input.messages` ends with {_described(messages[-1])}; it must end with the user message the outputs answer",
                                 "input", f"/input/messages/{len(messages) - 1}"))
            for key in OUTPUTS:
                if type(value.get(key)) is not list:
                    what = "is missing" if key not in value else f"is {type(value[key]).__name__}; it must be a list of one assistant message"
                    problems.append((f"`{key}` {what}", key, f"/{key}"))
            if problems:
                _, key, pointer = problems[0]
                message = "; and ".join(what for what, _, _ in problems)
                yield self.diagnostic(ctx, line, message, column=batch.column_of(i, key), pointer=pointer)


class InputEndsWithAssistant(Rule):
    """The preference input ends with an assistant message.

    ## What it does
    Reports records whose `input.messages` ends with an assistant message.

    ## Why
    The two outputs are the assistant's next answer to the input: after an assistant message
    there is no question left to answer. Usually the preferred answer was left in the input.

    ## Example
    ```
    {"input": {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}, "preferred_output": [{"role": "assistant", "content": "Hello!"}], "non_preferred_output": [{"role": "assistant", "content": "Go away."}]}
    ```

    ## Use instead
    End the input with the user message (or tool result) that the outputs answer.

    ## Fix
    None automatic: moving the message out of the input changes what is compared.
    """

    code = "FT803"
    name = "input-ends-with-assistant"
    severity = Severity.ERROR
    formats = frozenset({"preference"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i, (line, value) in enumerate(zip(batch.lines, batch.values)):
            messages = _input_messages(value) if value is not None else None
            if type(messages) is list and messages and type(messages[-1]) is dict and messages[-1].get("role") == "assistant":
                yield self.diagnostic(ctx, line, f"`input.messages` ends with an assistant message (message {len(messages) - 1}): the outputs answer nothing", column=batch.column_of(i, "input"), pointer=f"/input/messages/{len(messages) - 1}")


class OutputNotOneAssistantMessage(Rule):
    """A preference output is not exactly one assistant message.

    ## What it does
    Reports a `preferred_output` or `non_preferred_output` list that holds no message, several
    messages, a message of another role, or a message whose `content` is not a string.

    ## Why
    The API compares one assistant answer with another: each output must be a list of exactly
    one assistant message.

    ## Example
    ```
    {"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": [{"role": "user", "content": "Hello!"}], "non_preferred_output": []}
    ```

    ## Use instead
    `"preferred_output": [{"role": "assistant", "content": "Hello!"}]`

    ## Fix
    None automatic: which message is the answer is your decision.
    """

    code = "FT804"
    name = "output-not-one-assistant-message"
    severity = Severity.ERROR
    formats = frozenset({"preference"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for key in OUTPUTS:
            for i, (line, output) in enumerate(zip(batch.lines, batch.values_of(key))):
                if type(output) is not list or _output_text(output) is not None:
                    continue  # missing or not a list: FT801
                if len(output) != 1:
                    what = f"holds {len(output)} messages"
                elif type(output[0]) is not dict or output[0].get("role") != "assistant":
                    what = f"holds {_described(output[0])}"
                else:
                    content = output[0].get("content")
                    what = "has an assistant message without content" if content is None else f"has an assistant message whose content is {type(content).__name__}, not a string"
                yield self.diagnostic(ctx, line, f"`{key}` {what}; it must be a list of exactly one assistant message", column=batch.column_of(i, key), pointer=f"/{key}")


class IdenticalOutputs(Rule):
    """The preferred and non-preferred answers are the same.

    ## What it does
    Reports records whose two outputs have the same text (ignoring surrounding whitespace).

    ## Why
    Such a pair carries no preference: it only adds noise to training.

    ## Example
    ```
    {"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": [{"role": "assistant", "content": "Hello!"}], "non_preferred_output": [{"role": "assistant", "content": "Hello! "}]}
    ```

    ## Use instead
    ```
    {"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": [{"role": "assistant", "content": "Hello!"}], "non_preferred_output": [{"role": "assistant", "content": "What?"}]}
    ```

    ## Fix
    None automatic: write a worse answer for the non-preferred output, or remove the record.
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
    return [InvalidPreferenceRecord, IdenticalOutputs, InputEndsWithAssistant, OutputNotOneAssistantMessage]
