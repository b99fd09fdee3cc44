"""Rules for the chat format (FT7xx): `{"messages": [{"role": ..., "content": ...}, ...]}`.

They follow the checks of OpenAI's chat fine-tuning data-preparation guide: a list of messages,
each with a known role and string content, at least one assistant message to learn from, and
the conversation within the model's token limit.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import eq, is_
from typing import Any

from ftlint import Context, Diagnostic, Rule, Severity, hookimpl, tokens
from ftlint.reader import Batch, where
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
        having = set(compress(self.owners, map(eq, self.roles, repeat(role))))
        return sorted(set(self.owners) - having)


def _flat(batch: Batch) -> _Flat:
    column = batch.values_of("messages")
    records = where(map(is_, map(type, column), repeat(list)))
    lists = [column[i] for i in records]
    messages = list(chain.from_iterable(lists))
    owners = list(chain.from_iterable(map(repeat, records, map(len, lists))))
    if set(map(type, messages)) <= {dict}:
        roles = list(map(dict.get, messages, repeat("role")))
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


class NoAssistantMessage(Rule):
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
    """

    code = "FT705"
    name = "no-assistant-message"
    severity = Severity.ERROR
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i in batch.derived(_flat).lacking("assistant"):
            line = batch.lines[i]
            yield self.diagnostic(ctx, line, "no assistant message: nothing to learn from", column=batch.column_of(i, "messages"), pointer="/messages")


class NoUserMessage(Rule):
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
    """

    code = "FT706"
    name = "no-user-message"
    severity = Severity.WARNING
    formats = frozenset({"chat"})

    def check(self, batch: Batch, ctx: Context) -> Iterator[Diagnostic]:
        for i in batch.derived(_flat).lacking("user"):
            line = batch.lines[i]
            yield self.diagnostic(ctx, line, "no user message: the assistant answers nobody", column=batch.column_of(i, "messages"), pointer="/messages")


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
    return [MessagesNotList, InvalidMessage, UnknownRole, UnexpectedMessageKey, NoAssistantMessage, NoUserMessage, InvalidWeight, ChatTooManyTokens]
