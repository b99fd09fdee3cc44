"""Rules for the chat format (FT7xx): `{"messages": [{"role": ..., "content": ...}, ...]}`.

They follow the checks of OpenAI's chat fine-tuning data-preparation guide: a list of messages,
each with a known role and string content, at least one assistant message to learn from, and
the conversation within the model's token limit.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, ClassVar

import orjson

from ftlint import Applicability, Batch, Context, Diagnostic, Edit, Fix, Rule, Severity, hookimpl, tokens, where
from ftlint.text import show

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MESSAGE_KEYS = frozenset({"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"})


def _messages(batch: Batch) -> Iterator[tuple[int, int, list]]:
    """(index, line, messages) for each record whose `messages` is a list."""
    for i, (line, messages) in enumerate(zip(batch.lines, batch.values_of("messages"))):
        if type(messages) is list:
            yield i, line, messages


@dataclass
class _Flat:
    """The messages of a batch's records whose `messages` is a list, as one flat list
    (computed once per batch): each rule first tests the whole batch at C speed and looks at
    single records only when that test fails."""

    owners: list[int]  # the batch index of each message's record
    messages: list[Any]
    roles: list[Any]  # each message's role (None: absent, null, or not an object)
    plain: bool  # every message is {"role": <known role>, "content": <string or list>}

    def lacking(self, role: str) -> list[int]:
        """Batch indices of the records with messages but none of `role`, in order."""
        having = {owner for owner, said in zip(self.owners, self.roles) if said == role}
        return sorted(set(self.owners) - having)


def _flat(batch: Batch) -> _Flat:
    column = batch.values_of("messages")
    records = where(type(value) is list for value in column)
    lists = [column[i] for i in records]
    messages = list(chain.from_iterable(lists))
    owners = [record for record, messages_of in zip(records, lists) for _ in messages_of]
    if all(type(m) is dict for m in messages):
        roles = [m.get("role") for m in messages]
        shapes = {(type(m.get("content")), len(m)) for m in messages}
        plain = shapes <= _PLAIN_SHAPES and _known(roles)
    else:
        roles = [m.get("role") if type(m) is dict else None for m in messages]
        plain = False
    return _Flat(owners, messages, roles, plain)


_PLAIN_SHAPES = {(str, 2), (list, 2)}  # (type of content, number of keys) with role and content


def _known(roles: list[Any]) -> bool:
    try:
        return set(roles) <= ROLES
    except TypeError:  # an unhashable role (a list or an object)
        return False


def _pointer(k: int, key: str = "") -> str:
    return f"/messages/{k}" + (f"/{key}" if key else "")


def _needs_content(message: dict) -> bool:
    """Assistant messages that call tools or functions may have null content."""
    return not (message.get("role") == "assistant" and (message.get("tool_calls") or message.get("function_call")))


class MessagesNotList(Rule):
    """The record has no list of messages.

    ## What it does
    Reports a chat record whose `messages` is missing, not a list, or empty.

    ## Why
    A chat example is a conversation: the API rejects a record without one.

    ## Example
    ```
    {"messages": {"role": "user", "content": "Hi"}}
    ```

    ## Use instead
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    ```

    ## Fix
    None automatic: rebuild the record's conversation as a list of messages.
    """

    code = "FT701"
    name = "messages-not-list"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        if len(set(batch.derived(_flat).owners)) == len(batch) - batch.values.count(None):
            return  # every record has a non-empty list of messages
        for i, (line, value) in enumerate(zip(batch.lines, batch.values)):
            if value is None:
                continue
            messages = value.get("messages")
            if type(messages) is list and messages:
                continue
            what = "is missing" if "messages" not in value else ("is empty" if messages == [] else f"is {type(messages).__name__}, not a list")
            yield self.diagnostic(ctx, line, f"`messages` {what}", column=batch.column_of(i, "messages"), pointer="/messages")


class InvalidMessage(Rule):
    """A message lacks a role or content, or its content is not a string.

    ## What it does
    Reports each message that is not an object, has no `role`, or has no string `content`
    (assistant messages with `tool_calls` or `function_call` may have null content; a list of
    content parts is accepted).

    ## Why
    The API rejects the whole file when one message is malformed.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": null}]}
    ```

    ## Use instead
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    ```

    ## Fix
    None automatic: give the message its role and its text.
    """

    code = "FT702"
    name = "invalid-message"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        if batch.derived(_flat).plain:
            return
        for i, line, messages in _messages(batch):
            for k, message in enumerate(messages):
                if type(message) is not dict:
                    yield self.diagnostic(ctx, line, f"message {k} is {type(message).__name__}, not an object", column=batch.column_of(i, "messages"), pointer=_pointer(k))
                elif "role" not in message:
                    yield self.diagnostic(ctx, line, f"message {k} has no `role`", column=batch.column_of(i, "messages"), pointer=_pointer(k, "role"))
                elif _needs_content(message) and type(message.get("content")) not in (str, list):
                    got = "no `content`" if "content" not in message else f"`content` {type(message['content']).__name__}"
                    yield self.diagnostic(ctx, line, f"message {k} ({show(str(message['role']), 20)}) has {got}; it must be a string", column=batch.column_of(i, "messages"), pointer=_pointer(k, "content"))


class UnknownRole(Rule):
    """A message has a role the API does not know.

    ## What it does
    Reports roles other than system, developer, user, assistant, tool and function (for
    example "bot", "human" or "User" from other tools' exports).

    ## Why
    The API rejects unknown roles; a capitalised or renamed role is usually an export bug.

    ## Example
    ```
    {"messages": [{"role": "human", "content": "Hi"}, {"role": "bot", "content": "Hello!"}]}
    ```

    ## Use instead
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    ```

    ## Fix
    A role that differs from a known one only in case or surrounding space (`Assistant`,
    `" user"`) is rewritten to it (safe: the same role, spelled as the API wants). Others
    need a decision: map your tool's roles (human, bot, gpt) to user and assistant.
    """

    code = "FT703"
    name = "unknown-role"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        if batch.derived(_flat).plain:
            return
        for i, line, messages in _messages(batch):
            for k, message in enumerate(messages):
                if type(message) is dict and "role" in message and (type(message["role"]) is not str or message["role"] not in ROLES):
                    role = message["role"]
                    shown = show(role, 20) if type(role) is str else type(role).__name__
                    meant = role.strip().lower() if type(role) is str else None
                    if meant in ROLES:
                        fix = Fix(f"Write the role as {show(meant)}", (Edit(line, "set", _pointer(k, "role"), meant),), Applicability.SAFE)
                        yield self.diagnostic(ctx, line, f"message {k} has role {shown}; the API wants {show(meant)}", column=batch.column_of(i, "messages"), pointer=_pointer(k, "role"), fix=fix)
                    else:
                        yield self.diagnostic(ctx, line, f"message {k} has role {shown}; known roles: {', '.join(sorted(ROLES))}", column=batch.column_of(i, "messages"), pointer=_pointer(k, "role"))


@dataclass(frozen=True)
class UnexpectedMessageKeyOptions:
    allowed_keys: list[str] | None = None  # extra keys a message may carry


class UnexpectedMessageKey(Rule):
    """A message carries a key the API does not use.

    ## What it does
    Reports message keys other than role, content, name, weight, tool_calls, tool_call_id,
    function_call and refusal. Option `allowed-keys` lists keys you keep on purpose.

    ## Why
    Unknown keys are rejected or silently ignored; often they are a typo (`contents`) that
    leaves the message without its text.

    ## Example
    ```
    {"messages": [{"role": "user", "contents": "Hi"}, {"role": "assistant", "content": "Hello"}]}
    ```

    ## Use instead
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
    ```
    or keep a key on purpose with `allowed-keys = ["meta"]`.

    ## Fix
    None automatic: rename a misspelt key (`contents` -> `content`) or remove the key.

    ## Options
    - `allowed-keys` (list of strings, default: none): message keys kept on purpose, under
      `[tool.ftlint.rules.unexpected-message-key]`.
    """

    code = "FT704"
    name = "unexpected-message-key"
    severity = Severity.WARNING
    formats = frozenset({"chat"})
    Options = UnexpectedMessageKeyOptions

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        allowed = MESSAGE_KEYS | set(self.options.allowed_keys or ())
        if batch.derived(_flat).plain:
            return
        for i, line, messages in _messages(batch):
            for k, message in enumerate(messages):
                if type(message) is dict and not message.keys() <= allowed:
                    for key in sorted(set(message) - allowed):
                        yield self.diagnostic(ctx, line, f"message {k} has unexpected key {show(key, 30)}", column=batch.column_of(i, key), pointer=_pointer(k, key))


class _RoleMissing(Rule):
    """The base of the rules for a conversation without a message of `role`."""

    role: ClassVar[str]
    consequence: ClassVar[str]
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i in batch.derived(_flat).lacking(self.role):
            yield self.diagnostic(ctx, batch.lines[i], f"no {self.role} message: {self.consequence}",
                                  column=batch.column_of(i, "messages"), pointer="/messages")


class NoAssistantMessage(_RoleMissing):
    """The conversation has no assistant message.

    ## What it does
    Reports records without any message whose role is "assistant".

    ## Why
    Training learns the assistant's messages only: an example without one teaches nothing
    and the API rejects it.

    ## Example
    ```
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    ```

    ## Use instead
    ```
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    ```

    ## Fix
    None automatic: add the assistant's reply, or remove the record.
    """

    code = "FT705"
    name = "no-assistant-message"
    severity = Severity.ERROR
    role = "assistant"
    consequence = "nothing to learn from"


class NoUserMessage(_RoleMissing):
    """The conversation has no user message.

    ## What it does
    Reports records whose messages include no "user" message.

    ## Why
    At inference the model answers a user; an example without one trains it to speak
    unprompted (OpenAI's own cookbook sample has such a line).

    ## Example
    ```
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": "Hello!"}]}
    ```

    ## Use instead
    ```
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    ```

    ## Fix
    None automatic: add the user's message the reply answers, or remove the record.
    """

    code = "FT706"
    name = "no-user-message"
    severity = Severity.WARNING
    role = "user"
    consequence = "the assistant answers nobody"


class InvalidWeight(Rule):
    """A message's weight is not 0 or 1.

    ## What it does
    Reports `weight` values other than 0 and 1, and weights on messages that are not the
    assistant's.

    ## Why
    The API accepts only 0 (do not learn this reply) and 1 (learn it), on assistant messages.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo", "weight": 0.5}]}
    ```

    ## Use instead
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo", "weight": 0}]}
    ```

    ## Fix
    None automatic: set the weight to 0 or 1, or remove it (a reply is learnt by default).
    """

    code = "FT707"
    name = "invalid-weight"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        if batch.derived(_flat).plain:
            return
        for i, line, messages in _messages(batch):
            for k, message in enumerate(messages):
                if type(message) is not dict or "weight" not in message:
                    continue
                weight = message["weight"]
                if message.get("role") != "assistant":
                    yield self.diagnostic(ctx, line, f"message {k} has a weight but is not the assistant's", column=batch.column_of(i, "weight"), pointer=_pointer(k, "weight"))
                elif weight not in (0, 1) or type(weight) is bool:
                    yield self.diagnostic(ctx, line, f"message {k} has weight {show(repr(weight), 20)}; it must be 0 or 1", column=batch.column_of(i, "weight"), pointer=_pointer(k, "weight"))


class NothingToLearn(Rule):
    """Every assistant message has weight 0.

    ## What it does
    Reports conversations whose assistant messages all carry `weight: 0`.

    ## Why
    Training learns only the assistant messages of weight 1: an example whose every answer is
    weighted 0 teaches nothing, yet it is billed and counts as an example.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!", "weight": 0}]}
    ```

    ## Use instead
    Set `weight: 1` on (or remove `weight` from) the answers to learn, or drop the example.

    ## Fix
    None automatic: which answers to learn is your decision.
    """

    code = "FT709"
    name = "nothing-to-learn"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        if batch.derived(_flat).plain:
            return  # no message has a weight
        for i, line, messages in _messages(batch):
            weights = [m.get("weight", 1) for m in messages if type(m) is dict and m.get("role") == "assistant"]
            if weights and all(w == 0 and type(w) is int for w in weights):
                yield self.diagnostic(ctx, line, f"every assistant message ({len(weights)}) has weight 0: nothing to learn from", column=batch.column_of(i, "weight"), pointer="/messages")


def _json_error(text: str) -> str | None:
    """Why `text` is not a JSON object, saying where it breaks; None when it is one."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        near = show(text[max(0, error.pos - 15):error.pos + 15], 40)
        where = f"character {error.pos + 1}" + (f" (line {error.lineno}, column {error.colno})" if error.lineno > 1 else "")
        return f"are not valid JSON: {error.msg} at {where}, near {near}"
    except RecursionError:
        return "are nested too deeply to parse"
    if type(value) is not dict:
        return f"are a JSON {type(value).__name__}, not an object"
    return None


def _call_problems(call: Any, legacy: bool) -> list[tuple[str, str]]:
    """(problem, pointer suffix) of a tool call (`legacy`: a function_call object)."""
    if type(call) is not dict:
        return [(f"is {type(call).__name__}, not an object", "")]
    problems = []
    if legacy:
        function, at = call, ""
    else:
        if type(call.get("id")) is not str or not call.get("id"):
            problems.append(("lacks a string `id`", "/id"))
        if call.get("type") != "function":
            problems.append(('lacks `type: "function"`', "/type"))
        function, at = call.get("function"), "/function"
        if type(function) is not dict:
            return problems + [("lacks a `function` object", at)]
    if type(function.get("name")) is not str or not function.get("name"):
        problems.append(("lacks `function.name`" if not legacy else "lacks `name`", at + "/name"))
    arguments = function.get("arguments")
    if type(arguments) is not str:
        got = "missing" if "arguments" not in function else type(arguments).__name__
        problems.append((f"arguments are {got}, not a string of a JSON object", at + "/arguments"))
    else:
        error = _json_error(arguments)
        if error:
            problems.append((f"arguments {error}", at + "/arguments"))
    return problems


class MalformedToolCall(Rule):
    """An assistant's tool call is malformed.

    ## What it does
    Reports each item of an assistant message's `tool_calls` that lacks a string `id`,
    `type: "function"`, or `function.name`, or whose `function.arguments` is not a string
    holding a JSON object (saying where the JSON breaks); and a legacy `function_call`
    without `name` or with such arguments. All the problems of one call make one finding.

    ## Why
    The API rejects a file with a malformed call. Arguments that are not valid JSON teach the
    model to write calls that your code cannot parse.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{'city': 'Paris'}"}}]}]}
    ```

    ## Use instead
    `"arguments": "{\"city\": \"Paris\"}"`: a JSON object serialised into a string.

    ## Fix
    None automatic: repairing arguments would guess at what the call meant.
    """

    code = "FT710"
    name = "malformed-tool-call"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        if batch.derived(_flat).plain:
            return  # no message has tool calls
        for i, line, messages in _messages(batch):
            for k, message in enumerate(messages):
                if type(message) is not dict or message.get("role") != "assistant":
                    continue
                if "function_call" in message:
                    problems = _call_problems(message["function_call"], legacy=True)
                    if problems:
                        yield self._finding(ctx, batch, i, line, f"message {k}'s function_call", problems, "function_call", _pointer(k, "function_call"))
                calls = message.get("tool_calls")
                if calls is None:
                    continue
                if type(calls) is not list or not calls:
                    what = "is empty" if calls == [] else f"is {type(calls).__name__}, not a list"
                    yield self.diagnostic(ctx, line, f"message {k}'s tool_calls {what}", column=batch.column_of(i, "tool_calls"), pointer=_pointer(k, "tool_calls"))
                    continue
                for j, call in enumerate(calls):
                    problems = _call_problems(call, legacy=False)
                    if problems:
                        yield self._finding(ctx, batch, i, line, f"tool call {j} of message {k}", problems, "tool_calls", f"{_pointer(k, 'tool_calls')}/{j}")

    def _finding(self, ctx: Context, batch: Batch, i: int, line: int, what: str, problems: list[tuple[str, str]], key: str, pointer: str) -> Diagnostic:
        """One finding for all the problems of one call; `key` locates its column."""
        text = "; ".join(problem for problem, _ in problems)
        return self.diagnostic(ctx, line, f"{what}: {text}", column=batch.column_of(i, key), pointer=pointer + problems[0][1])


def _call_ids(message: dict) -> list[tuple[int, str]]:
    """(index, id) of a message's well-formed tool calls."""
    calls = message.get("tool_calls")
    if type(calls) is not list:
        return []
    return [(j, call["id"]) for j, call in enumerate(calls) if type(call) is dict and type(call.get("id")) is str]


class OrphanToolMessage(Rule):
    """A tool message answers no call, or a call gets no tool answer.

    ## What it does
    Reports a `tool` message whose `tool_call_id` names no call of an earlier assistant
    message (or that has none), and each tool call that no tool message answers before the
    next assistant message. A call in the last assistant message needs no answer (the
    example teaches the model to make it). Legacy `function` messages without an earlier
    `function_call` are reported too.

    ## Why
    The API pairs every tool result with the call it answers and rejects a conversation where
    they do not match; an unanswered call followed by more assistant text teaches the model to
    go on without the result.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}, {"role": "tool", "tool_call_id": "call_2", "content": "18 C"}, {"role": "assistant", "content": "18 C in Paris."}]}
    ```

    ## Use instead
    Answer each call with a tool message carrying its `id` as `tool_call_id`, right after the
    assistant message that made it.

    ## Fix
    None automatic: the missing result or call cannot be made up.
    """

    code = "FT711"
    name = "orphan-tool-message"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        flat = batch.derived(_flat)
        if flat.plain and "tool" not in flat.roles and "function" not in flat.roles:
            return
        for i, line, messages in _messages(batch):
            for problem, pointer in self._problems(messages):
                yield self.diagnostic(ctx, line, problem, column=batch.column_of(i, "messages"), pointer=pointer)

    @staticmethod
    def _problems(messages: list) -> Iterator[tuple[str, str]]:
        calls: dict[str, int] = {}  # id -> message index of every call so far
        pending: dict[str, tuple[int, int]] = {}  # id -> (message, call) not answered yet
        function_called = False
        for k, message in enumerate(messages):
            if type(message) is not dict:
                continue
            role = message.get("role")
            if role == "assistant":
                for call_id, (at, j) in pending.items():
                    yield f"tool call {show(call_id, 30)} (message {at}) gets no tool answer before the next assistant message ({k})", f"{_pointer(at, 'tool_calls')}/{j}"
                pending = {call_id: (k, j) for j, call_id in _call_ids(message)}
                calls.update((call_id, k) for call_id in pending)
                function_called = function_called or "function_call" in message
            elif role == "tool":
                call_id = message.get("tool_call_id")
                if type(call_id) is not str:
                    yield f"tool message {k} has no string `tool_call_id`", _pointer(k, "tool_call_id")
                elif call_id not in calls:
                    yield f"tool message {k} answers {show(call_id, 30)}, which no earlier assistant message calls", _pointer(k, "tool_call_id")
                else:
                    pending.pop(call_id, None)
            elif role == "function" and not function_called:
                yield f"function message {k} answers no earlier function_call", _pointer(k)


class LastMessageNotAssistant(Rule):
    """The conversation ends after its last assistant message.

    ## What it does
    Reports conversations whose last message is not the assistant's (when they have an
    assistant message at all; FT705 reports those without).

    ## Why
    Training learns the assistant's messages: the messages after the last one teach nothing,
    cost tokens, and usually mean the export cut the conversation before its final answer.

    ## Example
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}]}
    ```

    ## Use instead
    End each conversation with the assistant's answer: add it, or drop the trailing messages.

    ## Fix
    None automatic: dropping the trailing messages would lose their text.
    """

    code = "FT712"
    name = "last-message-not-assistant"
    severity = Severity.WARNING
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        flat = batch.derived(_flat)
        lacking = set(flat.lacking("assistant"))
        for i, line, messages in _messages(batch):
            last = messages[-1] if messages else None
            if i in lacking or (type(last) is dict and last.get("role") == "assistant"):
                continue
            role = last.get("role") if type(last) is dict else None
            shown = show(role, 20) if type(role) is str else "a non-message"
            yield self.diagnostic(ctx, line, f"the conversation ends with {shown} after the last assistant message: the end teaches nothing", column=batch.column_of(i, "messages"), pointer=_pointer(len(messages) - 1))


FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@functools.lru_cache(maxsize=256)
def _schema_error(parameters: str) -> str | None:
    """Why a function's `parameters` (as canonical JSON) is not a JSON Schema; None when it is."""
    from jsonschema import SchemaError
    from jsonschema.validators import validator_for

    schema = json.loads(parameters)
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.path)
        return f"is not a valid JSON Schema ({show(error.message, 80)}{' at ' + where if where else ''})"
    if schema.get("type", "object") != "object":
        return f"has type {show(str(schema['type']), 20)}; function parameters must be an object schema"
    return None


def _definition_problems(definition: Any, legacy: bool) -> tuple[str | None, list[tuple[str, str]]]:
    """(the function's name, [(problem, pointer suffix)]) of one tool definition (`legacy`: an
    item of `functions`, the function itself)."""
    if type(definition) is not dict:
        return None, [(f"is {type(definition).__name__}, not an object", "")]
    problems = []
    if legacy:
        function, at = definition, ""
    else:
        if definition.get("type") != "function":
            problems.append(('lacks `type: "function"`', "/type"))
        function, at = definition.get("function"), "/function"
        if type(function) is not dict:
            return None, problems + [("lacks a `function` object", at)]
    name = function.get("name")
    if type(name) is not str or not FUNCTION_NAME.fullmatch(name):
        shown = show(name, 30) if type(name) is str else ("no name" if name is None else f"name {type(name).__name__}")
        problems.append((f"has {'name ' if type(name) is str else ''}{shown}; a name is 1-64 letters, digits, _ or -", at + "/name"))
    name = name if type(name) is str else None  # calls to a misspelt definition are not reported again
    if "parameters" in function:
        parameters = function["parameters"]
        if type(parameters) is not dict:
            problems.append((f"has parameters {type(parameters).__name__}, not a JSON Schema object", at + "/parameters"))
        else:
            error = _schema_error(orjson.dumps(parameters, option=orjson.OPT_SORT_KEYS).decode())
            if error:
                problems.append((f"parameters {error}", at + "/parameters"))
    return name, problems


def _called_names(messages: list) -> Iterator[tuple[str, str]]:
    """(function name, pointer) of every call in a conversation."""
    for k, message in enumerate(messages):
        if type(message) is not dict or message.get("role") != "assistant":
            continue
        legacy = message.get("function_call")
        if type(legacy) is dict and type(legacy.get("name")) is str:
            yield legacy["name"], _pointer(k, "function_call") + "/name"
        calls = message.get("tool_calls")
        for j, call in enumerate(calls if type(calls) is list else ()):
            function = call.get("function") if type(call) is dict else None
            if type(function) is dict and type(function.get("name")) is str:
                yield function["name"], f"{_pointer(k, 'tool_calls')}/{j}/function/name"


class MalformedTools(Rule):
    """The record's tool definitions are malformed, or a call names an undefined function.

    ## What it does
    Reports a record whose `tools` (or legacy `functions`) is not a list of function
    definitions: each `{"type": "function", "function": {"name": ..., "parameters": ...}}`
    (legacy: `{"name": ..., "parameters": ...}`) with a name of 1-64 letters, digits, `_` or
    `-`, and `parameters`, when given, a valid JSON Schema of an object (checked with the
    jsonschema library). Also reports a function defined twice, and each call to a function
    that the record does not define (or a call in a record without definitions).

    ## Why
    The API rejects malformed definitions. A call to a function the example does not define
    teaches the model to call functions it was never given.

    ## Example
    ```
    {"messages": [...], "tools": [{"type": "function", "function": {"name": "get weather", "parameters": {"type": "object", "properties": {"city": {"type": "str"}}}}}]}
    ```

    ## Use instead
    `{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}`

    ## Fix
    None automatic: a definition's intent cannot be guessed.
    """

    code = "FT713"
    name = "malformed-tools"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        if batch.derived(_flat).plain and batch.values_of("tools").count(None) == len(batch) and batch.values_of("functions").count(None) == len(batch):
            return  # no tools and no calls
        for i, line, messages in _messages(batch):
            record = batch.values[i]
            defined: set[str] = set()
            has_definitions = False
            for key in ("tools", "functions"):
                if key not in record:
                    continue
                has_definitions = True
                definitions = record[key]
                if type(definitions) is not list:
                    yield self.diagnostic(ctx, line, f"`{key}` is {type(definitions).__name__}, not a list of function definitions", column=batch.column_of(i, key), pointer=f"/{key}")
                    continue
                for j, definition in enumerate(definitions):
                    name, problems = _definition_problems(definition, legacy=key == "functions")
                    if name is not None and name in defined:
                        problems.append((f"defines {show(name, 30)} a second time", "/function/name" if key == "tools" else "/name"))
                    defined.add(name)
                    if problems:
                        text = "; ".join(problem for problem, _ in problems)
                        yield self.diagnostic(ctx, line, f"{key[:-1]} {j} {text}", column=batch.column_of(i, key), pointer=f"/{key}/{j}{problems[0][1]}")
            for name, pointer in _called_names(messages):
                if name not in defined:
                    why = "which the record's tools do not define" if has_definitions else "but the record defines no tools"
                    yield self.diagnostic(ctx, line, f"a call names function {show(name, 30)}, {why}", column=batch.column_of(i, "messages"), pointer=pointer)


@dataclass(frozen=True)
class ChatTooManyTokensOptions:
    max_tokens: int = 0  # overrides the model's limit when > 0


class ChatTooManyTokens(Rule):
    """The conversation has more tokens than the model allows per example.

    ## What it does
    Counts the tokens of every message (OpenAI's recipe: the texts, 3 tokens per message,
    1 per name, 3 to prime the reply; the texts include content parts, tool-call and
    function-call arguments) and of the record's tool definitions (`tools`, `functions`,
    counted as their compact JSON) with the model's encoding, and reports conversations over
    the model's limit (option `max-tokens` overrides it). The model is `model` in the config or `--model`; for chat datasets the
    default is gpt-4o-mini-2024-07-18 (o200k_base, 65,536 tokens). Conversations whose UTF-8
    size cannot exceed the limit are never tokenized.

    ## Why
    The API truncates or rejects examples over the limit; the end of a conversation, where the
    assistant's reply is, is what gets lost.

    ## Example
    A conversation that pastes a whole book chapter into the user's message: about 90,000
    tokens under o200k_base, over the 65,536 of gpt-4o-mini.

    ## Use instead
    The passage the assistant's reply depends on, or the conversation split into several
    examples that each end with an assistant reply.

    ## Fix
    None automatic: shorten or split the conversation.

    ## Options
    - `max-tokens` (integer, default `0`: the model's limit): the most tokens a conversation
      may have, under `[tool.ftlint.rules.chat-too-many-tokens]`.
    """

    code = "FT708"
    name = "chat-too-many-tokens"
    severity = Severity.ERROR
    formats = frozenset({"chat"})
    Options = ChatTooManyTokensOptions

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        info = tokens.model_for(ctx.model, "chat")
        limit = self.options.max_tokens or info.max_tokens
        # Tokens <= bytes of the raw line: texts take at least their UTF-8 bytes, and each
        # message's syntax ({"role":...,"content":...}) is longer than its 3-4 overhead tokens.
        # Lines with invalid bytes read as U+FFFD (3 bytes for 1) are counted exactly.
        replaced = {issue.line for issue in batch.issues if issue.code == "FT006"}
        if not batch.raws or (not replaced and max(map(len, batch.raws)) <= limit):
            return
        encode = None
        for i, line, messages in _messages(batch):
            if len(batch.raws[i]) <= limit and line not in replaced:
                continue
            counted = tokens.conversation_texts(messages, batch.values[i])
            texts = counted.asked + counted.answered
            if sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) + counted.overhead <= limit:
                continue
            encode = encode or tokens.get_encoding(info.encoding).encode_ordinary
            count = counted.overhead + sum(len(encode(t)) for t in texts)
            if count > limit:
                yield self.diagnostic(ctx, line, f"conversation is {count:,} tokens ({info.encoding}), over the {limit:,}-token limit" + ("" if self.options.max_tokens else f" of {info.name}"), pointer="/messages")


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [MessagesNotList, InvalidMessage, UnknownRole, UnexpectedMessageKey, NoAssistantMessage, NoUserMessage, InvalidWeight,
            ChatTooManyTokens, NothingToLearn, MalformedToolCall, OrphanToolMessage, LastMessageNotAssistant, MalformedTools]
