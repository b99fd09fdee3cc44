"""Formats: which format each record is in, the shapes the API does not take, and files that
are not JSON Lines at all.

The engine judges every record in its own format: a chat record among prompt-completion
records is checked by the chat rules, never as a broken prompt-completion record. A record in
no format the API accepts counts as the file's format when the file has one (its rules then
say what is missing); otherwise the file-level codes say what it is:
- FT014 not-jsonl: the bytes are not JSON Lines (UTF-16/32, CSV/TSV, a JSON array or
  pretty-printed JSON, plain text, binary), found by content from the file's first bytes;
- FT015 unknown-format: records in no format the API accepts, naming the common foreign
  shapes (Alpaca, Dolly, `text`, ShareGPT, KTO, TRL) and the command that converts them;
- FT013 mixed-formats: records of more than one accepted format in one file.
"""
from __future__ import annotations

import csv
import json
import re
import shlex
from collections import Counter
from itertools import compress, repeat
from operator import and_, contains, is_, not_
from typing import Any, Iterable

import orjson

from ftlint.batch import Record, objects
from ftlint.reader import Batch, open_binary, where

FORMATS = ("prompt-completion", "chat", "preference")
UNKNOWN = "unknown"
ACCEPTED = 'chat ("messages"), prompt-completion ("prompt", "completion") or preference ("input", "preferred_output", "non_preferred_output")'
SNIFF_BYTES = 1 << 16
SNIFF_LINES = 20

# Foreign shapes: key -> (what it is, the target of `ftlint convert IN --to TARGET`).
SHAPES = {
    "alpaca": ("Alpaca (instruction/input/output)", "chat"),
    "dolly": ("Dolly (instruction/context/response)", "chat"),
    "sharegpt": ("ShareGPT (conversations of from/value turns)", "chat"),
    "text": ('plain text records ({"text": ...}), a pre-training shape whose template no converter can undo: rebuild the messages from the source', None),
    "trl-preference": ("Hugging Face TRL preference (prompt/chosen/rejected)", "preference"),
    "kto": ("Hugging Face TRL KTO (prompt/completion/label)", "chat"),
    "trl-messages": ("Hugging Face TRL conversational prompt/completion (lists of messages)", "chat"),
    "empty": ("empty objects ({})", None),
}


API_KEYS = frozenset({"prompt", "completion", "messages", "input", "preferred_output", "non_preferred_output"})


def key_variants(keys: Iterable[Any]) -> dict[str, str]:
    """The keys that are one of the API's top-level keys in other case or with spaces around it
    (`"Prompt "`, a spreadsheet's column name), each with the key it stands for."""
    return {k: k.strip().lower() for k in keys if type(k) is str and k.strip().lower() in API_KEYS and k != k.strip().lower()}


def foreign_shape(record: dict[str, Any]) -> str | None:
    """The common shape, not accepted by the API, that a record is in; None if none is known."""
    if not record:
        return "empty"
    if "prompt" in record and ("chosen" in record or "rejected" in record) or "chosen" in record and "rejected" in record:
        return "trl-preference"  # the second: TRL's implicit prompt, shared by both conversations
    if "prompt" in record and "completion" in record and type(record.get("label")) is bool:
        return "kto"
    if _messages(record.get("prompt")) or _messages(record.get("completion")):
        return "trl-messages"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if "instruction" in record and "response" in record:
        return "dolly"
    if type(record.get("conversations")) is list:
        return "sharegpt"
    if "text" in record and not {"prompt", "completion", "messages", "input"} & record.keys():
        return "text"
    return None


def _messages(value: Any) -> bool:
    """Whether a value is a list of chat messages (dicts with a role)."""
    return type(value) is list and bool(value) and all(type(m) is dict and "role" in m for m in value)


def detect_format(record: dict[str, Any]) -> str:
    """The API format of a record: prompt-completion, chat, preference, or unknown (which
    includes the foreign shapes that reuse the API's keys, such as TRL's prompt/chosen/rejected)."""
    if "messages" in record:
        return "chat"
    if "input" in record and ("preferred_output" in record or "non_preferred_output" in record):
        return "preference"
    if ("prompt" in record or "completion" in record) and foreign_shape(record) is None:
        return "prompt-completion"
    return UNKNOWN


def record_formats(batch: Batch) -> list[str | None]:
    """The format of each record of a batch (None for a line that is no record), as
    `detect_format` says, at C speed for the records plainly in one format: only the others are
    looked at one by one. Use through `batch.derived` (cached)."""
    values = batch.values
    records = batch.derived(objects)
    if all(map(contains, records, repeat("messages"))):
        return ["chat"] * len(values)
    formats: list[str | None] = ["prompt-completion"] * len(values)
    for i in where(map(not_, _plain_prompt_completion(batch, records))):
        record = values[i]
        formats[i] = None if record is None else detect_format(record)
    return formats


_NOT_PROMPT_COMPLETION_KEYS = frozenset(("messages", "input", "chosen", "rejected", "label", "instruction", "conversations"))


def _plain_prompt_completion(batch: Batch, records: list[Record]) -> list[bool]:
    """Whether each record is plainly prompt-completion (`detect_format` would say so: both
    keys, no key of another format or of a foreign shape, no list of messages), at C speed."""
    both = map(and_, map(contains, records, repeat("prompt")), map(contains, records, repeat("completion")))
    plain = list(map(and_, both, map(_NOT_PROMPT_COMPLETION_KEYS.isdisjoint, records)))
    for key in ("prompt", "completion"):
        column = batch.values_of(key)
        if batch.strings(key) is not column:  # a value that is neither a string nor null, maybe messages: `detect_format` decides
            for i in where(map(is_, map(type, column), repeat(list))):
                plain[i] = False
    return plain


def split_by_format(batch: Batch, formats: list[str | None], fallback: str | None) -> dict[str, Batch]:
    """The batch's records grouped by format (the batch itself when it holds one format);
    unknown records and lines that are no record go with `fallback` (dropped when None).
    The parts hold records only: the reader's issues stay with the whole batch."""
    assigned = [f if f in FORMATS else fallback for f in formats]
    kinds = sorted({a for a in assigned if a is not None})
    if len(kinds) == 1 and None not in assigned:
        return {kinds[0]: batch.without_issues() if batch.issues else batch}
    parts: dict[str, Batch] = {}
    for fmt in kinds:
        keep = [a == fmt for a in assigned]
        parts[fmt] = Batch(batch.path, list(compress(batch.lines, keep)), list(compress(batch.raws, keep)), list(compress(batch.values, keep)))
    return parts


def describe_unknown(shapes: Counter[str], keys: Counter[str], records: int, name: str) -> str:
    """What the records in no accepted format are, and how to convert them."""
    if shapes:
        shape, count = shapes.most_common(1)[0]
        what, target = SHAPES[shape]
        share = "all" if count == records else f"{count:,} of {records:,}"
        text = f"{share} are {what}"
        if target:
            text += f"; convert with `ftlint convert {shlex.quote(name)} --to {target}`"
        return text
    common = ", ".join(json.dumps(k, ensure_ascii=False) for k, _ in keys.most_common(6))
    if key_variants(keys):
        return f"their keys ({common}) are the API's keys in other case or with spaces (FT105); `ftlint convert {shlex.quote(name)} --to jsonl` renames them"
    return f"their keys ({common}) are no shape ftlint knows"


# --- FT014: not JSON Lines at all ---------------------------------------------------------------

_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"(\xb5/\xfd", "a zstd archive"),
    (b"Obj\x01", "an Avro file"),
    (b"ARROW1", "an Arrow file"),
    (b"\x93NUMPY", "a NumPy array"),
)
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16 LE", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16 BE", "UTF-16BE"),
)
_MEMBER = re.compile(r'\s*"(?:[^"\\]|\\.)*"\s*:')
_ARRAY_START = re.compile(r"\[\s*\{")


def sniff(path: str, name: str) -> str | None:
    """What the file is when it is not JSON Lines, with how to convert it (`name`: the file's
    name in the advice); None when its first bytes look like JSON Lines (or too little to tell)."""
    with open_binary(path) as stream:
        head = stream.read(SNIFF_BYTES)
        whole = len(head) < SNIFF_BYTES or not stream.read(1)
    return _sniff(head, whole, name)


def _sniff(head: bytes, whole: bool, name: str) -> str | None:
    if not head:
        return None
    encoding = _wide_encoding(head)
    if encoding:
        what, codec, bom = encoding
        converted = (name[:-6] if name.endswith(".jsonl") else name) + ".utf8.jsonl"
        return (f"the file is {what} text{' with a byte-order mark' if bom else ' without a byte-order mark'}, not UTF-8: "
                f"convert it with `iconv -f {codec} -t UTF-8 {shlex.quote(name)} > {shlex.quote(converted)}`")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"the file is {what}, not JSON Lines: export the data as JSON Lines (one JSON object per line)"
    text = head.decode("utf-8", "replace")
    if _looks_binary(text):
        return "the file is binary data, not text: export the data as JSON Lines (one JSON object per line)"
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not whole:
        lines = lines[:-1]  # the last line may be cut
    nonblank = [line for line in lines if line.strip()]
    if not nonblank:
        return None
    first = nonblank[0].strip()
    parsed = _parse(first) if (whole or len(lines) > 1) else _NOT_JSON
    if type(parsed) is dict:
        return None
    second = nonblank[1].lstrip() if len(nonblank) > 1 else ""
    if type(parsed) is list:
        array_of_records = len(nonblank) == 1 and parsed and all(type(v) is dict for v in parsed)
    else:
        array_of_records = _ARRAY_START.match(first) is not None or (first == "[" and second.startswith("{"))
    if array_of_records:
        return f"the file is one JSON array, not JSON Lines (one object per line): {_to_jsonl(name)}"
    if parsed is _NOT_JSON and first.startswith("{") and _MEMBER.match(second):
        return f"the file is pretty-printed JSON (one object over several lines), not JSON Lines: {_to_jsonl(name)}"
    if first.startswith(("{", "[")) or parsed is not _NOT_JSON:
        return None  # a broken first record, or values that are not objects: the line findings say so
    table = _delimited(nonblank[:SNIFF_LINES])
    if table:
        return f"{table}, not JSON Lines: {_to_jsonl(name)}"
    if not any(line.lstrip().startswith(("{", "[")) or _parse(line) is not _NOT_JSON for line in nonblank[:SNIFF_LINES]):
        return "the file is plain text, not JSON Lines: no line is a JSON object"
    return None


def _wide_encoding(head: bytes) -> tuple[str, str, bool] | None:
    """(name, iconv name, has a BOM) for UTF-16/32 text, else None."""
    for bom, name, codec in _BOMS:
        if head.startswith(bom):
            return name, codec, True
    sample = head[: len(head) // 4 * 4]
    if len(sample) < 8:
        return None
    zero = [sample[k::4].count(0) / (len(sample) // 4) for k in range(4)]

    def high(*ks: int) -> bool:
        return all(zero[k] > 0.9 for k in ks)

    def low(*ks: int) -> bool:
        return all(zero[k] < 0.5 for k in ks)

    if high(1, 2, 3) and low(0):
        return "UTF-32 LE", "UTF-32LE", False
    if high(0, 1, 2) and low(3):
        return "UTF-32 BE", "UTF-32BE", False
    if high(1, 3) and low(0, 2):
        return "UTF-16 LE", "UTF-16LE", False
    if high(0, 2) and low(1, 3):
        return "UTF-16 BE", "UTF-16BE", False
    return None


def _looks_binary(text: str) -> bool:
    """NUL characters, or many undecodable bytes or control characters: not text."""
    if "\x00" in text:
        return True
    odd = sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f\b"))
    return odd > 0.1 * len(text)


def _to_jsonl(name: str) -> str:
    return f"convert it with `ftlint convert {shlex.quote(name)} --to jsonl`"


_NOT_JSON = object()


def _parse(line: str) -> Any:
    """The JSON value of a line, or _NOT_JSON."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _delimited(lines: list[str]) -> str | None:
    """A CSV or TSV description when the lines are a table of two columns or more."""
    if len(lines) < 2:
        return None
    for delimiter, name in (("\t", "TSV"), (",", "CSV")):
        if delimiter not in lines[0]:
            continue
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        width = len(rows[0])
        if width >= 2 and sum(len(row) == width for row in rows) >= 0.8 * len(rows):
            columns = ", ".join(json.dumps(c.strip(), ensure_ascii=False) for c in rows[0][:6])
            return f"the file is {name} (first row: {columns})"
    return None
