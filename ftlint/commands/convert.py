"""`ftlint convert IN --to TARGET [-o OUT]`: rewrite a dataset in another fine-tuning format.

Targets: `chat` (OpenAI chat), `prompt-completion` (the legacy format), `preference` (OpenAI
DPO). Inputs, recognised record by record: prompt-completion, chat, OpenAI preference, and
the common shapes of other tools: Alpaca (`instruction`/`input`/`output`), Dolly
(`instruction`/`context`/`response`), ShareGPT (`conversations` of `from`/`value`), TRL
preference (`prompt`/`chosen`/`rejected`) and KTO (`prompt`/`completion`/`label`).

Every record becomes a conversation first (messages, or for preference data an input and two
outputs), then the target's shape. What a target cannot hold is reported, never dropped
silently: keys it has no place for, records it cannot express (with their line numbers), and
the parts of a record left behind (a system message, a non-preferred answer). The output is
UTF-8 JSONL without ASCII escapes, written to a temporary file and moved into place; the input
is never overwritten. Exit 0 when every record was converted, 1 when some were skipped, 2 on a
usage or I/O error.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from ftlint import hookimpl
from ftlint.conventions import DEFAULT_SEPARATOR, DEFAULT_STOP, infer
from ftlint.formats import UNKNOWN, detect_format, foreign_shape
from ftlint.reader import iter_batches, open_binary, sample_records
from ftlint.tempfiles import temporary_file
from ftlint.text import escape_controls, show

TARGETS = ("chat", "prompt-completion", "preference")
SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "chatgpt": "assistant", "bing": "assistant", "bard": "assistant", "model": "assistant"}
MAX_LINES_SHOWN = 10  # line numbers listed per reason a record was skipped


class Unconvertible(Exception):
    """A record the target cannot express; the message says why."""


@dataclass
class Report:
    """What a conversion did: records written, records skipped (reason -> lines), and what
    was left behind of the records written (what -> count)."""

    written: int = 0
    skipped: dict[str, list[int]] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)

    def skip(self, line: int, reason: str) -> None:
        self.skipped.setdefault(reason, []).append(line)

    def lines(self) -> list[str]:
        out = []
        for reason, lines in self.skipped.items():
            shown = ", ".join(f"{n:,}" for n in lines[:MAX_LINES_SHOWN]) + (f" and {len(lines) - MAX_LINES_SHOWN:,} more" if len(lines) > MAX_LINES_SHOWN else "")
            out.append(f"skipped {len(lines):,} record{'s' if len(lines) != 1 else ''} ({reason}): line{'s' if len(lines) != 1 else ''} {shown}")
        for what, n in sorted(self.dropped.items()):
            out.append(f"dropped {what} from {n:,} record{'s' if n != 1 else ''}")
        return out


# --- Reading any shape into a conversation -------------------------------------------------------

def shape_of(record: dict[str, Any]) -> str:
    """The shape of a record: an accepted format (chat, preference, prompt-completion), a
    foreign shape (`ftlint.formats.SHAPES`), or unknown."""
    fmt = detect_format(record)
    return fmt if fmt != UNKNOWN else foreign_shape(record) or UNKNOWN


KNOWN_KEYS = {
    "chat": {"messages", "tools", "functions", "parallel_tool_calls"},
    "preference": {"input", "preferred_output", "non_preferred_output"},
    "sharegpt": {"conversations"},
    "alpaca": {"instruction", "input", "output"},
    "dolly": {"instruction", "context", "response"},
    "trl-preference": {"prompt", "chosen", "rejected"},
    "kto": {"prompt", "completion", "label"},
    "prompt-completion": {"prompt", "completion"},
    "trl-messages": {"prompt", "completion"},
}


def _text(record: dict[str, Any], key: str, required: bool = True) -> str:
    value = record.get(key, None if required else "")
    if value is None and not required:
        return ""
    if type(value) is not str:
        raise Unconvertible(f"`{key}` is {'missing' if key not in record else type(value).__name__}, not a string")
    return value


def _joined(first: str, second: str) -> str:
    """An instruction and its input (or context) as one user message."""
    return f"{first}\n\n{second}" if second.strip() else first


@dataclass
class Conversation:
    """A record as messages; `rejected` holds the non-preferred answer of preference data and
    `label` a KTO record's desirability."""

    messages: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)  # the record's tools
    rejected: dict[str, Any] | None = None
    label: bool | None = None


class Reader:
    """Turns records of any shape into conversations, stripping the legacy separator and stop
    sequence from prompt-completion records."""

    def __init__(self, separator: str | None, stop: str | None) -> None:
        self.separator, self.stop = separator, stop

    def conversation(self, record: dict[str, Any], shape: str) -> Conversation:
        if shape == "chat":
            messages = record.get("messages")
            if type(messages) is not list or not all(type(m) is dict for m in messages):
                raise Unconvertible("`messages` is not a list of messages")
            return Conversation(messages, {k: record[k] for k in ("tools", "functions", "parallel_tool_calls") if k in record})
        if shape == "preference":
            given: Any = record.get("input")
            messages = given.get("messages") if type(given) is dict else None
            preferred, rejected = record.get("preferred_output"), record.get("non_preferred_output")
            if type(messages) is not list or not _one_message(preferred) or not _one_message(rejected):
                raise Unconvertible("not an input with one preferred and one non-preferred assistant message")
            extra = {k: v for k, v in given.items() if k != "messages"}
            return Conversation(messages + preferred, extra, rejected[0])
        if shape == "sharegpt":
            return Conversation(self._sharegpt(record.get("conversations")))
        if shape == "alpaca":
            return Conversation(_pair(_joined(_text(record, "instruction"), _text(record, "input", required=False)), _text(record, "output")))
        if shape == "dolly":
            return Conversation(_pair(_joined(_text(record, "instruction"), _text(record, "context", required=False)), _text(record, "response")))
        if shape == "trl-preference":
            return self._trl(record)
        if shape == "kto":
            return Conversation(self._legacy(record), label=record["label"])
        if shape == "prompt-completion":
            return Conversation(self._legacy(record))
        if shape == "trl-messages":
            prompt, completion = record.get("prompt"), record.get("completion")
            if not _messages(prompt) or not _messages(completion):
                raise Unconvertible("`prompt` and `completion` are not both lists of messages")
            return Conversation(prompt + completion)
        if shape == "text":
            raise Unconvertible("a `text` record holds an already formatted conversation; it cannot be split into messages without its template")
        raise Unconvertible("a record of unknown shape")

    def _legacy(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        prompt, completion = _text(record, "prompt"), _text(record, "completion")
        if self.separator and prompt.endswith(self.separator):
            prompt = prompt[: -len(self.separator)]
        if self.stop and completion.endswith(self.stop):
            completion = completion[: -len(self.stop)]
        completion = completion[1:] if completion.startswith(" ") else completion
        return _pair(prompt, completion)

    @staticmethod
    def _sharegpt(turns: Any) -> list[dict[str, Any]]:
        if type(turns) is not list or not turns:
            raise Unconvertible("`conversations` is not a list of turns")
        messages = []
        for turn in turns:
            speaker = turn.get("from") if type(turn) is dict else None
            role = SHAREGPT_ROLES.get(speaker.lower()) if type(speaker) is str else None
            if role is None or type(turn.get("value")) is not str:
                raise Unconvertible(f"a ShareGPT turn from {show(str(speaker), 20)} has no chat role (or no string value)")
            messages.append({"role": role, "content": turn["value"]})
        return messages

    @staticmethod
    def _trl(record: dict[str, Any]) -> Conversation:
        prompt, chosen, rejected = record.get("prompt"), record.get("chosen"), record.get("rejected")
        if prompt is None and type(chosen) is list and type(rejected) is list:
            # implicit prompt: the conversations share it, and differ in their last answer
            shared = 0
            while shared < min(len(chosen), len(rejected)) - 1 and chosen[shared] == rejected[shared]:
                shared += 1
            prompt, chosen, rejected = chosen[:shared], chosen[shared:], rejected[shared:]
        if type(prompt) is str:
            prompt = [{"role": "user", "content": prompt}]
        if type(chosen) is str:
            chosen = [{"role": "assistant", "content": chosen}]
        if type(rejected) is str:
            rejected = [{"role": "assistant", "content": rejected}]
        if type(prompt) is not list or not _one_message(chosen) or not _one_message(rejected):
            raise Unconvertible("not a prompt with one chosen and one rejected answer")
        return Conversation(prompt + chosen, rejected=rejected[0])


def _pair(user: str, assistant: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def _messages(value: Any) -> TypeGuard[list[dict[str, Any]]]:
    return type(value) is list and all(type(m) is dict for m in value)


def _one_message(output: Any) -> TypeGuard[list[dict[str, Any]]]:
    return type(output) is list and len(output) == 1 and type(output[0]) is dict and output[0].get("role") == "assistant"


# --- Writing the target ------------------------------------------------------------------------

class Writer:
    """Turns conversations into records of the target format."""

    def __init__(self, target: str, system: str | None, separator: str, stop: str) -> None:
        self.target, self.system = target, system
        self.separator, self.stop = separator, stop
        self.kto_waiting: dict[str, tuple[int, dict[str, Any], bool]] = {}  # prompt -> (line, answer, label) not paired yet

    def record(self, conversation: Conversation, line: int, report: Report) -> dict[str, Any] | None:
        """The target record, or None when it waits for its pair (KTO to preference)."""
        if self.target == "chat":
            return self._chat(conversation, report)
        if self.target == "prompt-completion":
            return self._legacy(conversation, report)
        return self._preference(conversation, line)

    def _chat(self, conversation: Conversation, report: Report) -> dict[str, Any]:
        messages = conversation.messages
        if conversation.label is False:
            raise Unconvertible("an undesirable KTO completion: chat data has no negative examples")
        if self.system is not None and not any(m.get("role") == "system" for m in messages):
            messages = [{"role": "system", "content": self.system}, *messages]
        if conversation.rejected is not None:
            report.dropped["the non-preferred answer"] += 1
        return {"messages": messages, **conversation.extra}

    def _legacy(self, conversation: Conversation, report: Report) -> dict[str, Any]:
        if conversation.label is False:
            raise Unconvertible("an undesirable KTO completion: prompt-completion data has no negative examples")
        turns = [m for m in conversation.messages if m.get("role") != "system"]
        if len(turns) != 2 or [m.get("role") for m in turns] != ["user", "assistant"]:
            raise Unconvertible("not one user message and one assistant message")
        user, assistant = turns
        if type(user.get("content")) is not str or type(assistant.get("content")) is not str:
            raise Unconvertible("a message whose content is not a string (content parts or tool calls)")
        if len(turns) < len(conversation.messages):
            report.dropped["the system message"] += 1
        if conversation.extra:
            report.dropped["the tool definitions"] += 1
        if conversation.rejected is not None:
            report.dropped["the non-preferred answer"] += 1
        if assistant.get("weight") == 0:
            raise Unconvertible("the answer has weight 0: a completion is always learned")
        return {"prompt": user["content"] + self.separator, "completion": " " + assistant["content"] + self.stop}

    def _preference(self, conversation: Conversation, line: int) -> dict[str, Any] | None:
        messages = conversation.messages
        if not messages or messages[-1].get("role") != "assistant":
            raise Unconvertible("no assistant answer to prefer")
        given, answer = messages[:-1], messages[-1]
        if conversation.label is not None:
            return self._kto_pair(given, answer, conversation.label, line)
        if conversation.rejected is None:
            raise Unconvertible("one answer only: preference data needs a preferred and a non-preferred answer")
        return {"input": {"messages": given, **conversation.extra}, "preferred_output": [answer], "non_preferred_output": [conversation.rejected]}

    def _kto_pair(self, given: list[dict[str, Any]], answer: dict[str, Any], label: bool, line: int) -> dict[str, Any] | None:
        """KTO records are unpaired: a desirable and an undesirable completion of the same
        prompt make one preference record; the first of a pair waits for the other."""
        key = json.dumps(given, sort_keys=True)
        waiting = self.kto_waiting.get(key)
        if waiting is None or waiting[2] == label:
            if waiting is None:
                self.kto_waiting[key] = (line, answer, label)
            else:
                raise Unconvertible("a second KTO completion of the same label for a prompt, with no opposite one left to pair it with")
            return None
        del self.kto_waiting[key]
        preferred, rejected = (answer, waiting[1]) if label else (waiting[1], answer)
        return {"input": {"messages": given}, "preferred_output": [preferred], "non_preferred_output": [rejected]}

    def unpaired(self, report: Report) -> None:
        for line, _, _ in self.kto_waiting.values():
            report.skip(line, "a KTO completion whose prompt has no completion of the opposite label to pair it with")


# --- The command ---------------------------------------------------------------------------------

def default_output(path: str, target: str) -> str:
    """`<name>.<target>.jsonl` beside the input (`train.jsonl` -> `train.chat.jsonl`)."""
    name = path
    for suffix in (".gz", ".jsonl", ".json"):
        name = name[: -len(suffix)] if name.endswith(suffix) else name
    return f"{name}.{target}.jsonl"


def convert_file(path: str, out_path: str, target: str, system: str | None = None,
                 separator: str | None = None, stop: str | None = None) -> Report:
    """Convert `path` into `out_path` (written whole or not at all); see the module docstring.
    `separator` and `stop` are stripped from legacy inputs (default: inferred) and appended to
    legacy outputs (default: "\\n\\n###\\n\\n" and " END")."""
    # --separator and --stop name what to strip when converting to chat or preference data, and
    # what to append when converting to prompt-completion (then the input's own are inferred)
    given = {"separator": separator, "stop": stop} if target != "prompt-completion" else {}
    conventions = infer(sample_records(path), given)
    reader = Reader(conventions.separator, conventions.stop)
    writer = Writer(target, system, DEFAULT_SEPARATOR if separator is None else separator, DEFAULT_STOP if stop is None else stop)
    report = Report()
    directory = os.path.dirname(os.path.abspath(out_path))
    with temporary_file(prefix=".ftlint-convert-", suffix=".jsonl", dir=directory) as (handle, temporary):
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out, open_binary(path) as stream:
            for batch in iter_batches(stream, path):
                for line, record in zip(batch.lines, batch.values):
                    converted = _convert(record, line, reader, writer, report)
                    if converted is not None:
                        out.write(json.dumps(converted, ensure_ascii=False) + "\n")
                        report.written += 1
            writer.unpaired(report)
        os.replace(temporary, out_path)
    return report


def _convert(record: dict[str, Any] | None, line: int, reader: Reader, writer: Writer, report: Report) -> dict[str, Any] | None:
    if record is None:
        report.skip(line, "not a JSON object; `ftlint check` says why")
        return None
    shape = shape_of(record)
    try:
        converted = writer.record(reader.conversation(record, shape), line, report)
    except Unconvertible as reason:
        report.skip(line, str(reason))
        return None
    for key in sorted(set(record) - KNOWN_KEYS.get(shape, set())):
        report.dropped[f"key {show(key, 30)}"] += 1
    return converted


def _run(args: argparse.Namespace) -> int:
    from ftlint.cli import EXIT_USAGE, unescape

    out_path = args.output or default_output(args.input, args.to)
    if not os.path.isfile(args.input):
        print(f"ftlint: error: {escape_controls(args.input)}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if os.path.exists(out_path) and os.path.samefile(out_path, args.input):
        print(f"ftlint: error: the output {escape_controls(out_path)} is the input; give another -o", file=sys.stderr)
        return EXIT_USAGE
    if args.system is not None and args.to != "chat":
        print("ftlint: error: --system is for --to chat", file=sys.stderr)
        return EXIT_USAGE
    separator = unescape(args.separator) if args.separator is not None else None
    stop = unescape(args.stop) if args.stop is not None else None
    try:
        report = convert_file(args.input, out_path, args.to, args.system, separator, stop)
    except OSError as error:
        print(f"ftlint: error: {escape_controls(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    print(escape_controls(f"{out_path}: wrote {report.written:,} {args.to} record{'s' if report.written != 1 else ''} from {args.input}"), file=sys.stderr)
    for line in report.lines():
        print(escape_controls(f"{args.input}: {line}"), file=sys.stderr)
    return 1 if report.skipped else 0


def _handler(args: argparse.Namespace, *_registry: Any) -> int:
    """The CLI still passes its registry to handlers; handlers take `args` alone once the
    plugin layer's change lands, and then this wrapper goes."""
    return _run(args)


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "convert", help="rewrite a dataset in another format (chat, prompt-completion, preference)",
        description="Rewrite a dataset in another fine-tuning format and report what the target cannot hold. "
                    "Inputs: prompt-completion, chat, OpenAI preference, Alpaca, Dolly, ShareGPT, TRL preference, KTO.")
    parser.add_argument("input", metavar="IN", help="the JSONL file to convert (never overwritten)")
    parser.add_argument("--to", required=True, choices=TARGETS, help="the target format")
    parser.add_argument("-o", "--output", metavar="OUT", help="where to write (default: <name>.<target>.jsonl beside IN)")
    parser.add_argument("--system", metavar="TEXT", help="--to chat: a system message for conversations without one")
    parser.add_argument("--separator", metavar="S", help=r"stripped from legacy prompts (default: inferred), appended for --to prompt-completion (default: '\n\n###\n\n')")
    parser.add_argument("--stop", metavar="S", help="stripped from legacy completions (default: inferred), appended for --to prompt-completion (default: ' END')")
    parser.set_defaults(handler=_handler)
