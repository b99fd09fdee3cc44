"""The two texts of a record, in every format: what the model is given (the prompt text) and
what it should learn to answer (the answer text).

Duplicate, conflict, leakage and near-duplicate rules compare these, so one definition serves
every format:

- prompt-completion: `prompt` / `completion`;
- chat: every message before the last assistant message, with the record's `tools` or
  `functions` when it has them / that assistant message's content, or its tool calls when it
  has no content (a conversation with no assistant message has no answer);
- preference: the `input` messages (and its tools) / the preferred output's content (OpenAI's
  DPO format), or `prompt` / `chosen` (TRL's).

A third text serves the leakage rule: the asked text, what the model is given and never
trained to write: the prompt for prompt-completion, every message that is not the assistant's
(with the tools) for conversations.

The text of a conversation is a canonical serialisation of its messages (orjson with sorted
keys), so equal conversations give equal texts whatever their key order. Each is None when the
record has no such text (a missing or wrongly typed field: the schema rules report it).
"""
from __future__ import annotations

from itertools import repeat
from typing import Any, Iterable, Iterator, NamedTuple, Sequence

import orjson
from xxhash import xxh3_64_intdigest

from ftlint.formats import detect_format
from ftlint.reader import Batch, none_as_empty, objects


def _canonical(value: Any) -> str | None:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return None


def _content(message: Any) -> str | None:
    if type(message) is not dict:
        return None
    content = message.get("content")
    if type(content) is str:
        return content
    if content is None and message.get("tool_calls") is not None:
        return _canonical(message["tool_calls"])
    return _canonical(content) if type(content) is list else None


def _last_assistant(messages: Any) -> int:
    if type(messages) is not list:
        return -1
    for i in range(len(messages) - 1, -1, -1):
        if type(messages[i]) is dict and messages[i].get("role") == "assistant":
            return i
    return -1


TOOL_KEYS = ("tools", "functions")


def _conversation(messages: Any, record: dict[str, Any]) -> str | None:
    """The canonical text of messages, with the record's tool definitions when it has any."""
    if type(messages) is not list:
        return None
    tools = {key: record[key] for key in TOOL_KEYS if key in record}
    return _canonical({"messages": messages, **tools} if tools else messages)


def _input_messages(record: dict[str, Any]) -> Any:
    given = record.get("input")
    return given.get("messages") if type(given) is dict else None


def texts(record: dict[str, Any] | None, fmt: str | None = None) -> tuple[str | None, str | None]:
    """(prompt text, answer text) of a record; `fmt` is detected when not given."""
    if record is None:
        return None, None
    fmt = fmt or detect_format(record)
    if fmt == "prompt-completion":
        prompt, completion = record.get("prompt"), record.get("completion")
        return (prompt if type(prompt) is str else None), (completion if type(completion) is str else None)
    if fmt == "chat":
        messages: Any = record.get("messages")
        last = _last_assistant(messages)
        if last < 0:
            return _conversation(messages, record), None
        return _conversation(messages[:last], record), _content(messages[last])
    if fmt == "preference":
        if "input" in record:
            given = record.get("input")
            preferred = record.get("preferred_output")
            answer = _content(preferred[-1]) if type(preferred) is list and preferred else None
            return _conversation(_input_messages(record), given if type(given) is dict else {}), answer
        prompt, chosen = record.get("prompt"), record.get("chosen")
        prompt_text = prompt if type(prompt) is str else (_canonical(prompt) if type(prompt) is list else None)
        if type(chosen) is list:
            last = _last_assistant(chosen)
            chosen = _content(chosen[last]) if last >= 0 else None
        return prompt_text, (chosen if type(chosen) is str else None)
    return None, None


def asked_text(record: dict[str, Any] | None, fmt: str | None = None) -> str | None:
    """The asked text of a record (see the module's docstring); `fmt` is detected when not given."""
    if record is None:
        return None
    fmt = fmt or detect_format(record)
    if fmt == "prompt-completion" or (fmt == "preference" and "input" not in record):
        prompt = record.get("prompt")
        if type(prompt) is list:
            return _canonical([m for m in prompt if not _is_assistant(m)])
        return prompt if type(prompt) is str else None
    holder: Any
    if fmt == "chat":
        messages, holder = record.get("messages"), record
    elif fmt == "preference":
        messages, holder = _input_messages(record), record.get("input")
    else:
        return None
    if type(messages) is not list:
        return None
    return _conversation([m for m in messages if not _is_assistant(m)], holder)


def _is_assistant(message: Any) -> bool:
    return type(message) is dict and message.get("role") == "assistant"


def _batch_texts(batch: Batch) -> tuple[list[str | None], list[str | None]]:
    prompts: list[str | None] = []
    answers: list[str | None] = []
    for record in batch.values:
        prompt, answer = texts(record)
        prompts.append(prompt)
        answers.append(answer)
    return prompts, answers


_OTHER_FORMATS_KEYS = frozenset(("messages", "input", "chosen"))


def _prompt_completion_only(batch: Batch) -> bool:
    """Whether no record of the batch is a chat or preference record (counted at C speed; a
    key with a null value does not count)."""
    if all(map(_OTHER_FORMATS_KEYS.isdisjoint, objects(batch))):  # one pass, usually enough
        return True
    return all(batch.values_of(key).count(None) == len(batch) for key in _OTHER_FORMATS_KEYS)


def _batch_asked(batch: Batch) -> list[str | None]:
    return [asked_text(record) for record in batch.values]


def prompt_texts(batch: Batch) -> list[str | None]:
    """The prompt text of each record of a batch (computed once per batch, shared by rules)."""
    if batch.derived(_prompt_completion_only):
        return batch.strings("prompt")  # prompt-completion: the column itself, no copy
    return batch.derived(_batch_texts)[0]


def answer_texts(batch: Batch) -> list[str | None]:
    """The answer text of each record of a batch (see `prompt_texts`)."""
    if batch.derived(_prompt_completion_only):
        return batch.strings("completion")
    return batch.derived(_batch_texts)[1]


class Field(NamedTuple):
    """One text of a record: where it is (a JSON pointer), what it is and the text."""

    pointer: str
    kind: str  # "input" (prompt, system, user, tool results), "output" (what the model learns), "rejected", "tool-arguments"
    role: str  # the message's role; "user"/"assistant" for prompt/completion
    text: str


def _messages(messages: Any, base: str, output_kind: str, only: str | None = None) -> Iterator[Field]:
    if type(messages) is not list or only not in (None, "input", output_kind):
        return
    for i, message in enumerate(messages):
        if type(message) is not dict:
            continue
        role = message.get("role")
        role = role if type(role) is str else ""
        kind = output_kind if role == "assistant" else "input"
        if only is not None and kind != only:
            continue
        content = message.get("content")
        if type(content) is str:
            yield Field(f"{base}/{i}/content", kind, role, content)
        elif type(content) is list:
            for j, part in enumerate(content):
                if type(part) is dict and type(part.get("text")) is str:
                    yield Field(f"{base}/{i}/content/{j}/text", kind, role, part["text"])
        calls = message.get("tool_calls")
        if only is None and type(calls) is list:
            for k, call in enumerate(calls):
                function = call.get("function") if type(call) is dict else None
                if type(function) is dict and type(function.get("arguments")) is str:
                    yield Field(f"{base}/{i}/tool_calls/{k}/function/arguments", "tool-arguments", role, function["arguments"])


def fields(record: dict[str, Any] | None, fmt: str | None = None, only: str | None = None) -> Iterator[Field]:
    """Every text of a record with its JSON pointer, in every format (see `Field.kind`); with
    `only` ("input", "output" or "rejected"), the texts of that kind alone, the others skipped
    before any pointer is built."""
    if record is None:
        return
    fmt = fmt or detect_format(record)
    if fmt == "prompt-completion":
        for key, kind, role in (("prompt", "input", "user"), ("completion", "output", "assistant")):
            if type(record.get(key)) is str and only in (None, kind):
                yield Field("/" + key, kind, role, record[key])
    elif fmt == "chat":
        yield from _messages(record.get("messages"), "/messages", "output", only)
    elif fmt == "preference":
        given = record.get("input")
        if type(given) is dict:
            yield from _messages(given.get("messages"), "/input/messages", "input", only)
        yield from _messages(record.get("preferred_output"), "/preferred_output", "output", only)
        yield from _messages(record.get("non_preferred_output"), "/non_preferred_output", "rejected", only)
        for key, kind, role in (("prompt", "input", "user"), ("chosen", "output", "assistant"), ("rejected", "rejected", "assistant")):
            value = record.get(key)
            if type(value) is str and only in (None, kind):
                yield Field("/" + key, kind, role, value)
            elif type(value) is list:
                yield from _messages(value, "/" + key, kind, only)


MAX_PREFIXES = 32  # earlier prompts of one conversation remembered per record (the latest ones)


def conversation_prefixes(record: dict[str, Any] | None, separator: str | None, fmt: str | None = None) -> list[str]:
    """The prompt texts that earlier rows of the same conversation would have, when a dataset
    trains a chatbot one row per turn (each row's prompt is the conversation so far): for a
    conversation, its messages up to each earlier assistant message; for a prompt-completion
    record, its prompt up to each earlier occurrence of the separator (that one included).
    At most the last `MAX_PREFIXES`."""
    if record is None:
        return []
    fmt = fmt or detect_format(record)
    if fmt == "prompt-completion":
        prompt = record.get("prompt")
        if type(prompt) is not str or not separator:
            return []
        prefixes = []
        at = prompt.find(separator)
        while 0 <= at < len(prompt) - len(separator):
            prefixes.append(prompt[: at + len(separator)])
            at = prompt.find(separator, at + 1)
        return prefixes[-MAX_PREFIXES:]
    if fmt == "chat":
        messages: Any = record.get("messages")
        last = _last_assistant(messages)
        ends = [k for k in range(1, last) if type(messages[k]) is dict and messages[k].get("role") == "assistant"]
        return [text for text in map(_canonical, (messages[:k] for k in ends[-MAX_PREFIXES:])) if text is not None]
    return []


def _dialogue(messages: Any) -> str | None:
    """The words of a conversation: its messages' contents, system messages left out."""
    if type(messages) is not list:
        return None
    return "\n".join(text for m in messages if type(m) is dict and m.get("role") != "system"
                     for text in [_content(m)] if text is not None)


def similarity_texts(record: dict[str, Any] | None, fmt: str | None = None) -> tuple[str | None, str | None]:
    """(prompt, answer) as the near-duplicate rules compare them: like `texts`, but a
    conversation's prompt is only the words of its messages (contents, no JSON keys or roles)
    and without system messages, which are usually the same in every record and would make
    any two short conversations look alike."""
    if record is None:
        return None, None
    fmt = fmt or detect_format(record)
    prompt, answer = texts(record, fmt)
    if prompt is None or fmt == "prompt-completion":
        return prompt, answer
    if fmt == "chat":
        messages: Any = record.get("messages")
        last = _last_assistant(messages)
        return _dialogue(messages[:last] if last >= 0 else messages), answer
    given = record.get("input")
    if type(given) is dict:
        return _dialogue(given.get("messages")), answer
    original = record.get("prompt")
    return (original if type(original) is str else _dialogue(original)), answer


def conversation_prefixes_of(batch: Batch, separator: str | None) -> list[tuple[int, str]]:
    """(index, text) of the `conversation_prefixes` of a batch's records: usually none, and
    ruled out at C speed for prompts without the separator before their end."""
    if batch.derived(_prompt_completion_only):
        if not separator:
            return []
        prompts = batch.texts("prompt")
        counts = list(map(str.count, prompts, repeat(separator)))
        if sum(counts) == sum(batch.ending_with("prompt", separator)):
            return []
        candidates: Sequence[int] = [i for i, (count, ends) in enumerate(zip(counts, batch.ending_with("prompt", separator))) if count > ends]
    else:
        candidates = range(len(batch))
    return [(i, text) for i in candidates for text in conversation_prefixes(batch.values[i], separator)]


def _batch_similarity_texts(batch: Batch) -> tuple[list[str | None], list[str | None]]:
    pairs = [similarity_texts(v) for v in batch.values]
    return [p for p, _ in pairs], [a for _, a in pairs]


def similarity_texts_of(batch: Batch) -> tuple[list[str | None], list[str | None]]:
    """The prompts and answers of a batch's records as `similarity_texts` gives them."""
    if batch.derived(_prompt_completion_only):
        return batch.strings("prompt"), batch.strings("completion")
    return batch.derived(_batch_similarity_texts)


def asked_texts(batch: Batch) -> list[str | None]:
    """The asked text of each record of a batch: for prompt-completion records the very list
    `prompt_texts` returns (callers may reuse what they computed from it)."""
    if batch.derived(_prompt_completion_only):
        return batch.strings("prompt")
    return batch.derived(_batch_asked)


def text_hashes(texts: list[str | None], seeds: list[int] | None = None) -> list[int]:
    """xxh3_64 of each text's UTF-8 bytes (None hashed as ""), seeded by `seeds` when given
    (lone surrogates, which the reader replaces anyway, are hashed as they are instead of
    failing). 64-bit hashes are how the duplicate rules keep texts without keeping them."""
    strings = none_as_empty(texts)
    try:
        if seeds is None:
            return list(map(xxh3_64_intdigest, map(str.encode, strings)))
        return list(map(xxh3_64_intdigest, map(str.encode, strings), seeds))
    except UnicodeEncodeError:
        if seeds is None:
            return list(map(xxh3_64_intdigest, _utf8(strings)))
        return list(map(xxh3_64_intdigest, _utf8(strings), seeds))


def _utf8(texts: Iterable[str]) -> Iterable[bytes]:
    return (t.encode("utf-8", "surrogatepass") for t in texts)


def prompt_hashes(batch: Batch) -> list[int]:
    """`text_hashes` of every record's prompt text, computed once per batch (the exact and the
    near-duplicate rules share them)."""
    return batch.derived(_prompt_hashes)


def _prompt_hashes(batch: Batch) -> list[int]:
    return text_hashes(prompt_texts(batch))
