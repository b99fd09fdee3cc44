"""Bytes in, records out: split on b"\\n" only, parse with orjson, diagnose what does not parse.

The reader never raises on bad input. Each problem becomes an `Issue` with a stable code
(FT001-FT012) that the reader rules in `ftlint_rules.reader` document and report.
"""
from __future__ import annotations

import contextlib
import gc
import gzip
import io
import json
import mmap
import os
import re
import sys
from dataclasses import dataclass, field
from itertools import compress, count, repeat
from operator import is_not
from typing import Any, BinaryIO, Callable, Iterable, Iterator, TypeVar

import numpy
import orjson

from ftlint.diagnostics import Applicability, Edit, Fix
from ftlint.text import show

BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 1 << 22
DEFAULT_MAX_LINE_BYTES = 16 << 20
_JSON_WS = " \t\r\n"
_SPACED_COLON = re.compile(rb'"[ \t\r]+:')
_ESCAPED_QUOTE_OR_COLON = re.compile(rb"\\u00(?:22|3[aA])")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PUNCTUATION_ONLY = re.compile(r"[.,;]+")
_INT_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 0)()  # Python's limit on int(str); 0: none
_LONG_INTEGER = re.compile(r"[0-9]{%d,}" % (_INT_DIGITS + 1))
T = TypeVar("T")


@dataclass(slots=True)
class Issue:
    """A problem the reader found in the bytes of one line."""

    code: str
    line: int
    column: int
    message: str
    fix: Fix | None = None


@dataclass
class Batch:
    """Consecutive lines of one file: line numbers, raw bytes and parsed objects (None if unusable)."""

    path: str
    lines: list[int] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    values: list[dict | None] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    _columns: dict[tuple[str, bool | str], list[Any]] = field(default_factory=dict, repr=False)  # (key, kind) -> column
    _derived: dict[Callable[["Batch"], Any], Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.lines)

    def values_of(self, key: str) -> list[Any]:
        """The value of `key` in each record, None where absent or unparsed (cached)."""
        column = self._columns.get((key, False))
        if column is None:
            column = list(map(dict.get, self.derived(objects), repeat(key)))
            self._columns[(key, False)] = column
        return column

    def strings(self, key: str) -> list[str | None]:
        """The value of `key` in each record when it is a string, else None (cached)."""
        column = self._columns.get((key, True))
        if column is None:
            column = self.values_of(key)
            if not set(map(type, column)) <= _STRING_OR_NONE:
                column = [x if type(x) is str else None for x in column]
            self._columns[(key, True)] = column
        return column

    def texts(self, key: str) -> list[str]:
        """Like `strings`, with "" instead of None (cached): for C-speed scans such as
        `where(map(str.endswith, batch.texts("prompt"), repeat(sep)))`."""
        column = self._columns.get((key, "texts"))
        if column is None:
            column = self.strings(key)
            if None in column:
                column = [t if t is not None else "" for t in column]
            self._columns[(key, "texts")] = column
        return column

    def ending_with(self, key: str, affix: str) -> list[bool]:
        """Whether each record's `key` text (see `texts`) ends with `affix` (cached: the rules
        that check one separator or stop sequence share one pass over the texts)."""
        column = self._columns.get((key, "ends:" + affix))
        if column is None:
            column = list(map(str.endswith, self.texts(key), repeat(affix)))
            self._columns[(key, "ends:" + affix)] = column
        return column

    def derived(self, compute: Callable[["Batch"], T]) -> T:
        """`compute(self)`, computed once per batch: rules that need the same derived data
        (hashes, lengths) share it by calling this with the same module-level function."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        return self._derived[compute]

    def column_of(self, index: int, key: str) -> int:
        """1-based character column of `"key"` in the raw line, 1 when absent."""
        raw = self.raws[index]
        at = raw.find(b'"' + key.encode() + b'"')
        return len(raw[:at].decode("utf-8", "replace")) + 1 if at >= 0 else 1


def where(flags: Iterable[Any]) -> list[int]:
    """Indices of the true flags (at C speed, for flags made with `map`)."""
    return list(compress(count(), flags))


_STRING_OR_NONE = {str, type(None)}
_NO_KEYS: dict = {}


def objects(batch: Batch) -> list[dict]:
    """The batch's values with an empty dict for each unusable record."""
    values = batch.values
    return [v if v is not None else _NO_KEYS for v in values] if None in values else values


def _count_keys(value: Any) -> int:
    if type(value) is dict:
        return len(value) + sum(_count_keys(v) for v in value.values() if type(v) in (dict, list))
    if type(value) is list:
        return sum(_count_keys(v) for v in value if type(v) in (dict, list))
    return 0


def _line_fix(title: str, line: int, new_lines: tuple[bytes, ...]) -> Fix:
    return Fix(title, (Edit(line, "replace-line", value=new_lines),), Applicability.SAFE)


class _PairsHook:
    """object_pairs_hook that builds dicts like json does (last key wins) and notes duplicates."""

    def __init__(self) -> None:
        self.duplicates: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.duplicates.append(key)
                seen.add(key)
        return result


def _replace_surrogates(value: Any) -> Any:
    if type(value) is str:
        return _SURROGATE.sub("\ufffd", value)
    if type(value) is dict:
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if type(value) is list:
        return [_replace_surrogates(v) for v in value]
    return value


def _leading_ws(text: str, start: int = 0) -> int:
    while start < len(text) and text[start] in _JSON_WS:
        start += 1
    return start


def diagnose(raw: bytes, line: int) -> tuple[dict | None, list[Issue]]:
    """Slow path for a line orjson rejected or that may hold duplicate keys.

    Returns the record (a dict usable by content rules, or None) and the issues found.
    """
    issues: list[Issue] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        column = len(raw[: error.start].decode("utf-8", "replace")) + 1
        bad = raw[error.start : error.end].hex(" ")
        issues.append(Issue("FT006", line, column, f"invalid UTF-8 byte(s) 0x{bad}; decoded as U+FFFD"))
        text = raw.decode("utf-8", "replace")

    hook = _PairsHook()
    non_finite: list[str] = []

    def parse_constant(name: str) -> float:
        non_finite.append(name)
        return float(name.replace("Infinity", "inf"))

    decoder = json.JSONDecoder(object_pairs_hook=hook, parse_constant=parse_constant)
    start = _leading_ws(text)
    try:
        value, end = decoder.raw_decode(text, start)
    except json.JSONDecodeError as error:
        issues.append(Issue("FT001", line, error.pos + 1, f"invalid JSON: {error.msg}"))
        return None, issues
    except RecursionError:
        issues.append(Issue("FT001", line, 1, "invalid JSON: nesting too deep to parse"))
        return None, issues
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        digits = _LONG_INTEGER.search(text)
        size = f"{len(digits.group()):,}" if digits else "too many"
        issues.append(Issue("FT001", line, digits.start() + 1 if digits else 1,
                            f"integer of {size} digits: Python's JSON parser (and the loaders built on it) refuses more than {_INT_DIGITS:,}"))
        return None, issues

    rest_at = _leading_ws(text, end)
    if rest_at < len(text):
        issues.append(_trailing_issue(text, line, start, end, rest_at, decoder))
    for name in non_finite:
        issues.append(
            Issue("FT009", line, text.find(name) + 1, f"{name} is not valid JSON; the API rejects it")
        )
    for key in hook.duplicates:
        at = [m.start() for m in re.finditer(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:", text)]
        column = at[1] + 1 if len(at) > 1 else 1
        issues.append(
            Issue("FT008", line, column, f"duplicate key {show(key)}: parsers keep the last value and silently drop the other")
        )
    if _SURROGATE.search(text) or "\\ud" in text.lower():
        try:
            cleaned = _replace_surrogates(value)
        except RecursionError:
            issues.append(Issue("FT001", line, 1, "invalid JSON: nesting too deep to check its strings"))
            return None, issues
        if cleaned != value:
            issues.append(Issue("FT006", line, 1, "string contains an unpaired surrogate escape (not valid Unicode); read as U+FFFD"))
            value = cleaned
    if type(value) is not dict:
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
        issues.append(Issue("FT002", line, start + 1, f"line is {kind}, not a JSON object"))
        return None, issues
    return value, issues


def _trailing_issue(text: str, line: int, start: int, end: int, rest_at: int, decoder: json.JSONDecoder) -> Issue:
    """Issue for text after the first JSON value: more objects (FT003) or stray characters (FT004)."""
    spans = [(start, end)]
    at = rest_at
    while at < len(text) and text[at] in "{[":
        try:
            _, stop = decoder.raw_decode(text, at)
        except (json.JSONDecodeError, RecursionError):
            break
        spans.append((at, stop))
        at = _leading_ws(text, stop)
    if len(spans) > 1 and at == len(text):
        pieces = tuple(text[a:b].encode() for a, b in spans)
        fix = _line_fix(f"Split into {len(pieces)} lines", line, pieces)
        return Issue("FT003", line, rest_at + 1, f"{len(pieces)} JSON values on one line", fix)
    tail = text[rest_at:].rstrip(_JSON_WS)
    head = text[:rest_at].rstrip(_JSON_WS).encode()
    applicability = Applicability.SAFE if _PUNCTUATION_ONLY.fullmatch(tail) else Applicability.UNSAFE
    fix = Fix(f"Remove {show(tail)} after the JSON value", (Edit(line, "replace-line", value=(head,)),), applicability)
    return Issue("FT004", line, rest_at + 1, f"unexpected {show(tail)} after the JSON value", fix)


def _strip_line(raw: bytes, line: int, issues: list[Issue]) -> bytes:
    """Remove a BOM and a trailing CR, noting each with its fix (edits refer to the original line)."""
    content = raw
    if content.startswith(BOM):
        content = content[3:]
        issues.append(Issue("FT007", line, 1, "UTF-8 byte-order mark at the start of the line", _line_fix("Remove the byte-order mark", line, (raw[3:],))))
    if content.endswith(b"\r"):
        content = content[:-1]
        issues.append(Issue("FT010", line, len(content.decode("utf-8", "replace")) + 1, "CRLF line ending", _line_fix("Use LF line ending", line, (raw[:-1],))))
    return content


def parse_lines(
    raws: list[bytes | int], first_line: int, path: str,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, block: bytes | None = None,
) -> Batch:
    """Parse consecutive raw lines (without b"\\n") starting at 1-based `first_line`.

    `block`, when given, is the bytes the lines were split from (`b"\\n".join(raws)`): it lets
    the batch take the vectorised path (`_parse_block`), which finds exactly what the per-line
    path (`_parse_each`) finds.
    """
    if block is not None and not block.strip(b"\n"):  # only empty lines: one run, no per-line work
        return Batch(path, issues=[_blank_run(first_line, len(raws))])
    if block is not None:
        return _parse_block(raws, block, first_line, path, max_line_bytes)
    return _parse_each(raws, first_line, path, max_line_bytes)


def _parse_each(raws: list[bytes | int], first_line: int, path: str, max_line_bytes: int) -> Batch:
    """The reference path: one line at a time, every doubtful line diagnosed."""
    batch = Batch(path)
    lines, kept, values, issues = batch.lines, batch.raws, batch.values, batch.issues
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    line = first_line - 1
    blank_from = 0  # first line of the current run of blank lines, 0: none
    for raw in raws:
        line += 1
        if blank_from and (type(raw) is int or raw.strip()):
            issues.append(_blank_run(blank_from, line - blank_from))
            blank_from = 0
        if type(raw) is int or len(raw) > max_line_bytes:
            size = raw if type(raw) is int else len(raw)
            issues.append(Issue("FT012", line, 1, f"line is {size:,} bytes, over max-line-bytes ({max_line_bytes:,}); not parsed"))
            continue
        if raw[:3] == BOM or raw[-1:] == b"\r":
            raw = _strip_line(raw, line, issues)
        try:
            value = loads(raw)
        except decode_error:
            if not raw.strip():
                blank_from = blank_from or line
                continue
            value, found = diagnose(raw, line)
            issues.extend(found)
        else:
            if type(value) is not dict or _may_hide_duplicates(raw, value):
                value, found = diagnose(raw, line)
                issues.extend(found)
        lines.append(line)
        kept.append(raw)
        values.append(value)
    if blank_from:
        issues.append(_blank_run(blank_from, line + 1 - blank_from))
    return batch


def _blank_run(first: int, count: int) -> Issue:
    """One issue for a run of blank lines, with one fix that removes them all."""
    what = "blank line" if count == 1 else f"{count:,} blank lines ({first:,}-{first + count - 1:,})"
    fix = Fix(f"Remove the {what}", (Edit(first, "replace-line", value=(), span=count),), Applicability.SAFE)
    return Issue("FT005", first, 1, what, fix)


def _may_hide_duplicates(raw: bytes, value: dict) -> bool:
    """True unless counting proves the line has no duplicate key: each key of the text is one
    `":` (whitespace before a colon sends the line to the exact check)."""
    try:
        return raw.count(b'":') != _count_keys(value) or _SPACED_COLON.search(raw) is not None
    except RecursionError:
        return False  # nested deeper than Python recurses: orjson parsed it; keys unchecked


def _loads_all(raws: list[bytes | int]) -> list[Any]:
    """orjson.loads of every line, None where it fails (at C speed between failures)."""
    values: list[Any] = []
    rest = iter(raws)  # a failing line is consumed; the next map resumes after it
    while len(values) < len(raws):
        try:
            values.extend(map(orjson.loads, rest))
        except orjson.JSONDecodeError:  # extend keeps what was parsed before the failing line
            values.append(None)
    return values


def _parse_block(raws: list[bytes | int], block: bytes, first_line: int, path: str, max_line_bytes: int) -> Batch:
    """The vectorised path: parse every line with orjson at once, find the few lines that need
    the per-line path (unparsed, not an object, CR, over-long, or possibly a duplicate key) and
    hand only those, in runs of consecutive lines, to `_parse_each`."""
    values = _loads_all(raws)
    data = numpy.frombuffer(block, numpy.uint8)
    lengths = numpy.fromiter(map(len, raws), numpy.int64, len(raws))  # type: ignore[arg-type]
    ends = numpy.cumsum(lengths + 1) - 1  # where each line ends: its newline, or the end of the block
    odd = set(compress(range(len(values)), map(is_not, map(type, values), repeat(dict))))
    if b"\r" in block:
        odd.update(numpy.flatnonzero((lengths > 0) & (data[ends - 1] == 13)).tolist())
    if len(block) > max_line_bytes:
        odd.update(numpy.flatnonzero(lengths > max_line_bytes).tolist())
    odd.update(_duplicate_suspects(raws, values, data, ends[:-1], odd))
    if not odd:
        return Batch(path, list(range(first_line, first_line + len(raws))), raws, values)  # type: ignore[arg-type]
    batch = Batch(path)
    start = 0
    for begin, end in _runs(sorted(odd)):
        batch.lines.extend(range(first_line + start, first_line + begin))
        batch.raws.extend(raws[start:begin])  # type: ignore[arg-type]
        batch.values.extend(values[start:begin])
        each = _parse_each(raws[begin:end], first_line + begin, path, max_line_bytes)
        batch.lines.extend(each.lines)
        batch.raws.extend(each.raws)
        batch.values.extend(each.values)
        batch.issues.extend(each.issues)
        start = end
    batch.lines.extend(range(first_line + start, first_line + len(raws)))
    batch.raws.extend(raws[start:])  # type: ignore[arg-type]
    batch.values.extend(values[start:])
    return batch


def _runs(indices: list[int]) -> Iterator[tuple[int, int]]:
    """Runs of consecutive sorted indices as [begin, end) pairs."""
    begin = previous = indices[0]
    for i in indices[1:]:
        if i != previous + 1:
            yield begin, previous + 1
            begin = i
        previous = i
    yield begin, previous + 1


def _duplicate_suspects(raws: list[bytes | int], values: list[Any], data: numpy.ndarray, newlines: numpy.ndarray, odd: set[int]) -> set[int]:
    """Lines (outside `odd`) that may hold a duplicate key; every other line provably has none.

    Without whitespace before a colon, each key in the text is one `":`, and so is each `\\":`
    inside a string: when a line's count of `":` equals its number of parsed keys, no key was
    dropped. Nested objects are counted by re-serialising with orjson, which writes each key and
    each in-string `":` the same way, unless the text hid a quote or a colon behind a `\\u`
    escape. Lines with `" :` are suspects. Counted per line with numpy, serialised per block
    first and per line only on a mismatch.
    """
    colons = numpy.flatnonzero(data == 58)
    colons = colons[colons > 0]
    before = data[colons - 1]
    raw_keys = numpy.bincount(numpy.searchsorted(newlines, colons[before == 34]), minlength=len(raws))
    spaced = colons[(before == 32) | (before == 9) | (before == 13)]  # ' :' may be '" :'
    suspects = {
        i for i in set(numpy.searchsorted(newlines, spaced).tolist()) - odd
        if _SPACED_COLON.search(raws[i])  # type: ignore[arg-type]
    }
    counted = values.copy() if odd else values
    for i in odd:
        counted[i] = ()
    keys = numpy.fromiter(map(len, counted), numpy.int64, len(counted))
    mismatched = [i for i in numpy.flatnonzero(raw_keys != keys).tolist() if i not in odd and i not in suspects]
    suspects.update(i for i in mismatched if _ESCAPED_QUOTE_OR_COLON.search(raws[i]))  # type: ignore[call-overload]
    counted_again = [i for i in mismatched if i not in suspects]
    if counted_again and _serialised_keys([values[i] for i in counted_again]) != int(raw_keys[counted_again].sum()):
        suspects.update(i for i in counted_again if raw_keys[i] != _serialised_keys(values[i]))
    return suspects


def _serialised_keys(value: Any) -> int:
    """Count of `":` in orjson's serialisation of `value`; -1 when too deep to serialise."""
    try:
        return orjson.dumps(value).count(b'":')
    except orjson.JSONEncodeError:
        return -1


def iter_raw_lines(stream: BinaryIO, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[list[bytes | int]]:
    """Yield lists of raw lines split on b"\\n" only. A line longer than `max_line_bytes` is
    yielded as its length (an int): its bytes are skipped, so memory stays bounded."""
    for lines, _ in iter_blocks(stream, max_line_bytes):
        yield lines


def iter_blocks(stream: BinaryIO, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[tuple[list[bytes | int], bytes | None]]:
    """Yield (lines, block) per block read: the complete lines, and the bytes they were split
    from (None for a skipped over-long line or the unterminated last line)."""
    pending: list[bytes] = []  # the start of an unfinished line, in pieces (joined once)
    pending_size = 0
    skipping = 0  # bytes of an over-long line skipped so far
    while block := stream.read(BLOCK_BYTES):
        if skipping:
            newline = block.find(b"\n")
            if newline < 0:
                skipping += len(block)
                continue
            yield [skipping + newline], None
            skipping = 0
            block = block[newline + 1 :]
        cut = block.rfind(b"\n")
        if cut < 0:
            if block:  # the rest of a block after a skipped line may be empty
                pending.append(block)
                pending_size += len(block)
        else:
            body = b"".join([*pending, memoryview(block)[:cut]]) if pending else block[:cut]  # one copy
            tail = block[cut + 1 :]
            pending, pending_size = ([tail], len(tail)) if tail else ([], 0)
            yield body.split(b"\n"), body
        if pending_size > max_line_bytes:
            skipping, pending, pending_size = pending_size, [], 0
    if skipping:
        yield [skipping], None
    elif pending:
        yield [b"".join(pending)], None


class RangeReader:
    """Reads bytes [start, end) of a file: one partition of a parallel run."""

    def __init__(self, path: str, start: int, end: int) -> None:
        self._file = open(path, "rb")
        self._file.seek(start)
        self._left = end - start

    def read(self, size: int) -> bytes:
        data = self._file.read(min(size, self._left))
        self._left -= len(data)
        return data

    def __enter__(self) -> "RangeReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def partition(path: str, parts: int) -> list[tuple[int, int]]:
    """Split an uncompressed file into about `parts` byte ranges that start at line starts."""
    size = os.path.getsize(path)
    starts = [0]
    with open(path, "rb") as stream:
        for k in range(1, parts):
            stream.seek(max(k * size // parts, starts[-1]))
            position = size
            while block := stream.read(1 << 20):  # the next line start (a line may be huge)
                newline = block.find(b"\n")
                if newline >= 0:
                    position = stream.tell() - len(block) + newline + 1
                    break
            if starts[-1] < position < size:
                starts.append(position)
    return list(zip(starts, starts[1:] + [size]))


COUNT_WINDOW = (16 << 20) // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY  # 16 MiB: mapped offsets must be multiples of the granularity


def count_lines(path: str, end: int) -> int:
    """Newlines in the first `end` bytes of a file, counted in place through memory maps of
    COUNT_WINDOW bytes at a time (no copy of the bytes: about twice as fast as reading them; one
    window at a time, so the mapped pages never add more than a window to the resident memory)."""
    lines = 0
    with open(path, "rb") as stream:
        end = min(end, os.fstat(stream.fileno()).st_size)
        for at in range(0, max(end, 0), COUNT_WINDOW):
            size = min(COUNT_WINDOW, end - at)
            with mmap.mmap(stream.fileno(), size, access=mmap.ACCESS_READ, offset=at) as window:
                lines += int(numpy.count_nonzero(numpy.frombuffer(window, numpy.uint8) == 10))
    return lines


def is_gzip(path: str) -> bool:
    with open(path, "rb") as stream:
        return stream.read(2) == b"\x1f\x8b"


class GzipBomb(OSError):
    """A compressed file expands far more than any real dataset does."""


class GzipStream:
    """A gzip file decompressed as a stream that refuses decompression bombs: past
    BOMB_MIN_BYTES of output, more than MAX_RATIO output bytes per compressed byte."""

    BOMB_MIN_BYTES = 16 << 20
    MAX_RATIO = 200  # JSONL text compresses 3-20x; 200x is only degenerate content

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._out = 0

    def read(self, size: int) -> bytes:
        return self._counted(self._gzip.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._counted(self._gzip.readline(size))

    def _counted(self, data: bytes) -> bytes:
        self._out += len(data)
        if self._out > self.BOMB_MIN_BYTES and self._out > self.MAX_RATIO * max(self._raw.tell(), 1):
            raise GzipBomb(f"decompresses to over {self.MAX_RATIO} times its size ({self._out:,} bytes so far): refusing, it looks like a decompression bomb")
        return data

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._gzip.close()
        self._raw.close()

    def __enter__(self) -> "GzipStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_binary(path: str) -> BinaryIO:
    """Open a dataset file for reading bytes; `.gz` files are decompressed as a stream."""
    if path == "-":
        return sys.stdin.buffer
    stream = open(path, "rb")
    if stream.peek(2)[:2] == b"\x1f\x8b":
        return GzipStream(stream)  # type: ignore[return-value]
    return stream


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while batches are read and checked.

    Records are freed by reference counting when their batch is done; the collector would only
    rescan the live batch, over and over (measured: a third of the parse time of chat records,
    which are many small containers). It runs again, catching any cycle, on exit.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def iter_batches(stream: BinaryIO, path: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, first_line: int = 1) -> Iterator[Batch]:
    """Parse a whole stream into batches, one per block read (about BLOCK_BYTES)."""
    line = first_line
    for raws, block in iter_blocks(stream, max_line_bytes):
        yield parse_lines(raws, line, path, max_line_bytes, block)
        line += len(raws)


SAMPLE_BYTES = 4 << 20  # about 10,000 records of typical size
MIN_SAMPLE_RECORDS = 256  # a sample reaches this many records whatever their size (each within max-line-bytes)
SAMPLE_WINDOWS = 32


def sample_records(path: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> list[dict | None]:
    """Records to infer conventions from, counted in records as well as bytes, so that one huge
    record never starves the sample: a small file whole; a larger one in SAMPLE_WINDOWS evenly
    spaced windows of whole lines (a compressed file: from its start), each taking its share of
    SAMPLE_BYTES, and at least its share of MIN_SAMPLE_RECORDS whatever their size."""
    raws: list[bytes | int] = []
    with open_binary(path) as stream:
        size = os.fstat(stream.fileno()).st_size if isinstance(stream, io.BufferedReader) else -1
        if size <= SAMPLE_BYTES:
            windows = [(0, -1)]
        else:
            starts = [k * size // SAMPLE_WINDOWS for k in range(SAMPLE_WINDOWS)]
            windows = list(zip(starts, starts[1:] + [-1]))
        budget, minimum = SAMPLE_BYTES // len(windows), -(-MIN_SAMPLE_RECORDS // len(windows))
        for start, end in windows:
            if start:
                stream.seek(start - 1)
                if _read_line(stream, 0) is None:  # skip to the first line that starts in the window
                    break
            raws.extend(_window(stream, end, max_line_bytes, budget, minimum))
    block = b"\n".join(raws) if all(type(r) is bytes for r in raws) else None  # type: ignore[arg-type]
    return parse_lines(raws, 1, path, max_line_bytes, block).values


def _window(stream: BinaryIO, end: int, max_line_bytes: int, size: int, minimum: int) -> list[bytes | int]:
    """Lines that are not blank, from the stream's position up to the line that starts at `end`
    (-1: the end of the stream), until `size` bytes once there are `minimum` lines (blank lines
    count towards `size`, and past `size // 64` of them the window ends: each costs a call)."""
    raws: list[bytes | int] = []
    seen = blank = 0
    while (seen < size or len(raws) < minimum) and blank < max(size // 64, 1024):
        if end >= 0 and stream.tell() >= end:
            break
        raw = _read_line(stream, max_line_bytes)
        if raw is None:
            break
        length = raw if type(raw) is int else len(raw) + 1
        seen += length
        if type(raw) is bytes and not raw.strip():
            blank += length
            continue
        raws.append(raw)
    return raws


def _read_line(stream: BinaryIO, max_line_bytes: int) -> bytes | int | None:
    """The next line without its newline; its length (an int) when longer than
    `max_line_bytes`, whose bytes are skipped; None at the end of the stream."""
    line = stream.readline(max_line_bytes + 1)
    if not line:
        return None
    if line.endswith(b"\n"):
        return line[:-1]
    if len(line) <= max_line_bytes:
        return line  # the last line, without a final newline
    length = len(line)
    while chunk := stream.readline(1 << 20):
        length += len(chunk)
        if chunk.endswith(b"\n"):
            return length - 1
    return length
