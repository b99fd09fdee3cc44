"""Lines to records: parse each line with orjson, diagnose what does not parse.

Parsing never raises on bad input. Each problem becomes an `Issue` with a stable code
(FT001-FT012) that the engine's rules (`ftlint.engine_rules`) document and report.
"""
from __future__ import annotations

import contextlib
import gc
import json
import re
import sys
import threading
from itertools import compress, repeat
from operator import is_not
from typing import Any, Iterator, Sequence, cast

import numpy
import orjson

from ftlint.batch import Batch, Issue, Record
from ftlint.diagnostics import Applicability, Edit, Fix
from ftlint.files import DEFAULT_MAX_LINE_BYTES, ByteStream, iter_blocks
from ftlint.text import show

BOM = b"\xef\xbb\xbf"
_JSON_WS = " \t\r\n"
_SPACED_COLON = re.compile(rb'"[ \t\r]+:')
_ESCAPED_QUOTE_OR_COLON = re.compile(rb"\\u00(?:22|3[aA])")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PUNCTUATION_ONLY = re.compile(r"[.,;]+")
_INT_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 0)()  # Python's limit on int(str); 0: none
_LONG_INTEGER = re.compile(r"[0-9]{%d,}" % (_INT_DIGITS + 1))


def _count_keys(value: Any) -> int:
    if type(value) is dict:
        return len(value) + sum(_count_keys(v) for v in value.values() if type(v) in (dict, list))
    if type(value) is list:
        return sum(_count_keys(v) for v in value if type(v) in (dict, list))
    return 0


PRETTY_MAX_LINES = 1000  # longest pretty-printed record joined into one line
PRETTY_MAX_ATTEMPTS = 20  # lines ending in "}" tried as the record's end


def _line_fix(title: str, line: int, new_lines: tuple[bytes, ...]) -> Fix:
    return Fix(title, (Edit(line, "replace-line", value=new_lines),), Applicability.SAFE)


class _PairsHook:
    """object_pairs_hook that builds dicts like json does (last key wins) and notes duplicates."""

    def __init__(self) -> None:
        self.duplicates: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> Record:
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


class _Decoder(json.JSONDecoder):
    """Python's JSON decoder noting, for the line it decodes, the keys that repeat and the
    non-finite constants (NaN, Infinity); one is reused for every line `diagnose` reads."""

    def __init__(self) -> None:
        self.hook = _PairsHook()
        self.non_finite: list[str] = []
        super().__init__(object_pairs_hook=self.hook, parse_constant=self._constant)

    def _constant(self, name: str) -> float:
        self.non_finite.append(name)
        return float(name.replace("Infinity", "inf"))

    def reset(self) -> None:
        self.hook.duplicates.clear()
        self.non_finite.clear()


_PER_THREAD = threading.local()  # its `decoder`: a _Decoder per thread (Dask workers may run threads)


def diagnose(raw: bytes, line: int) -> tuple[Record | None, list[Issue]]:
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

    decoder = getattr(_PER_THREAD, "decoder", None)
    if decoder is None:
        decoder = _PER_THREAD.decoder = _Decoder()
    decoder.reset()
    hook, non_finite = decoder.hook, decoder.non_finite
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
    if "\\u" in text and "\\ud" in text.lower():  # decoded text holds no surrogate: only an escape can
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
    if len(spans) > 1:  # split first; what follows the last value stays with it (then FT004's)
        last = text[spans[-1][0]:].rstrip(_JSON_WS)
        pieces = (*(text[a:b].encode() for a, b in spans[:-1]), last.encode())
        tail = text[at:].rstrip(_JSON_WS)
        after = f", then {show(tail)}" if tail else ""
        fix = _line_fix(f"Split into {len(pieces)} lines", line, pieces)
        return Issue("FT003", line, rest_at + 1, f"{len(pieces)} JSON values on one line{after}", fix)
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
    if block is not None:  # then every line is bytes: an over-long line comes alone, without its block
        return _parse_block(cast(list[bytes], raws), block, first_line, path, max_line_bytes)
    return _parse_each(raws, first_line, path, max_line_bytes)


def _loads_or_none(raw: bytes) -> Any:
    """orjson.loads of a line, None when it fails."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _parse_each(raws: Sequence[bytes | int], first_line: int, path: str, max_line_bytes: int) -> Batch:
    """The reference path: one line at a time, every doubtful line diagnosed."""
    batch = Batch(path)
    _parse_into(batch, raws, first_line, max_line_bytes)
    return batch


def _parse_into(batch: Batch, raws: Sequence[bytes | int], first_line: int, max_line_bytes: int, parsed: Sequence[Any] | None = None) -> None:
    """`_parse_each`, appending the lines' records and issues to `batch`. `parsed`, when given,
    is what `_loads_all` made of each line (None: not JSON), so no line is parsed twice."""
    lines, kept, values, issues = batch.lines, batch.raws, batch.values, batch.issues
    line = first_line - 1
    blank_from = 0  # first line of the current run of blank lines, 0: none
    skip = 0  # lines left of a pretty-printed record already reported
    for index, raw in enumerate(raws):
        line += 1
        if skip:
            skip -= 1
            continue
        if blank_from and (isinstance(raw, int) or raw.strip()):
            issues.append(_blank_run(blank_from, line - blank_from))
            blank_from = 0
        if isinstance(raw, int) or len(raw) > max_line_bytes:
            size = raw if isinstance(raw, int) else len(raw)
            issues.append(Issue("FT012", line, 1, f"line is {size:,} bytes, over max-line-bytes ({max_line_bytes:,}); not parsed"))
            continue
        if raw[:3] == BOM or raw[-1:] == b"\r":
            raw = _strip_line(raw, line, issues)
            value = _loads_or_none(raw)
        else:
            value = parsed[index] if parsed is not None else _loads_or_none(raw)
        if value is None:  # not JSON, or null (which diagnose reports as not an object)
            if not raw.strip():
                blank_from = blank_from or line
                continue
            spread = _pretty_printed(raws, index, line, max_line_bytes)
            if spread is not None:
                issues.append(spread)
                skip = spread.fix.edits[0].span - 1 if spread.fix else 0
                continue
            value, found = diagnose(raw, line)
            issues.extend(found)
        elif type(value) is not dict or _may_hide_duplicates(raw, value):
            value, found = diagnose(raw, line)
            issues.extend(found)
        lines.append(line)
        kept.append(raw)
        values.append(value)
    if blank_from:
        issues.append(_blank_run(blank_from, line + 1 - blank_from))


def _pretty_printed(raws: Sequence[bytes | int], index: int, line: int, max_line_bytes: int) -> Issue | None:
    """FT016 when the lines from `index` on together hold one JSON object: this line starts with
    "{" and does not end the object, no later line starts a record ("{" in column 1), and the
    lines, up to PRETTY_MAX_LINES and max-line-bytes, parse as one object. Else None."""
    first = raws[index]
    if not isinstance(first, bytes) or not first.startswith(b"{") or first.rstrip().endswith(b"}"):
        return None
    parts, size, attempts = [first], len(first), 0
    for raw in raws[index + 1 : index + PRETTY_MAX_LINES]:
        if not isinstance(raw, bytes) or raw.startswith(b"{") or raw.endswith(b"\r") or not raw.strip():
            return None
        parts.append(raw)
        size += len(raw)
        if size > max_line_bytes:
            return None
        if not raw.rstrip().endswith(b"}"):
            continue
        attempts += 1
        if attempts > PRETTY_MAX_ATTEMPTS:
            return None
        try:
            value = orjson.loads(b"\n".join(parts))
        except orjson.JSONDecodeError:
            continue
        joined = b"".join(part.strip() for part in parts)  # exact: a JSON string holds no raw newline
        if type(value) is not dict or orjson.loads(joined) != value:
            return None
        fix = Fix(f"Join the {len(parts)} lines into one", (Edit(line, "replace-line", value=(joined,), span=len(parts)),), Applicability.SAFE)
        return Issue("FT016", line, 1, f"one record pretty-printed over {len(parts)} lines ({line:,}-{line + len(parts) - 1:,}); JSONL needs it on one line", fix)
    return None


def _blank_run(first: int, count: int) -> Issue:
    """One issue for a run of blank lines, with one fix that removes them all."""
    what = "blank line" if count == 1 else f"{count:,} blank lines ({first:,}-{first + count - 1:,})"
    fix = Fix(f"Remove the {what}", (Edit(first, "replace-line", value=(), span=count),), Applicability.SAFE)
    return Issue("FT005", first, 1, what, fix)


def _may_hide_duplicates(raw: bytes, value: Record) -> bool:
    """True unless counting proves the line has no duplicate key: each key of the text is one
    `":` (whitespace before a colon sends the line to the exact check)."""
    try:
        return raw.count(b'":') != _count_keys(value) or _SPACED_COLON.search(raw) is not None
    except RecursionError:
        return False  # nested deeper than Python recurses: orjson parsed it; keys unchecked


def _loads_all(raws: list[bytes]) -> list[Any]:
    """orjson.loads of every line, None where it fails (at C speed between failures)."""
    values: list[Any] = []
    rest = iter(raws)  # a failing line is consumed; the next map resumes after it
    while len(values) < len(raws):
        try:
            values.extend(map(orjson.loads, rest))
        except orjson.JSONDecodeError:  # extend keeps what was parsed before the failing line
            values.append(None)
    return values


def _parse_block(raws: list[bytes], block: bytes, first_line: int, path: str, max_line_bytes: int) -> Batch:
    """The vectorised path: parse every line with orjson at once, find the few lines that need
    the per-line path (unparsed, not an object, CR, over-long, or possibly a duplicate key) and
    hand only those, in runs of consecutive lines, to `_parse_each`."""
    values = _loads_all(raws)
    data = numpy.frombuffer(block, numpy.uint8)
    lengths = numpy.fromiter(map(len, raws), numpy.int64, len(raws))
    ends = numpy.cumsum(lengths + 1) - 1  # where each line ends: its newline, or the end of the block
    odd = set(compress(range(len(values)), map(is_not, map(type, values), repeat(dict))))
    if b"\r" in block:
        odd.update(numpy.flatnonzero((lengths > 0) & (data[ends - 1] == 13)).tolist())
    if len(block) > max_line_bytes:
        odd.update(numpy.flatnonzero(lengths > max_line_bytes).tolist())
    odd.update(_duplicate_suspects(raws, values, data, ends[:-1], odd))
    if not odd:
        return Batch(path, list(range(first_line, first_line + len(raws))), raws, values)
    batch = Batch(path)
    lines, kept, kept_values = batch.lines, batch.raws, batch.values
    start = 0
    for begin, end in _runs(sorted(odd)):
        if begin > start:
            lines.extend(range(first_line + start, first_line + begin))
            kept.extend(raws[start:begin])
            kept_values.extend(values[start:begin])
        _parse_into(batch, raws[begin:end], first_line + begin, max_line_bytes, values[begin:end])
        start = end
    lines.extend(range(first_line + start, first_line + len(raws)))
    kept.extend(raws[start:])
    kept_values.extend(values[start:])
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


def _duplicate_suspects(raws: list[bytes], values: list[Any], data: numpy.ndarray, newlines: numpy.ndarray, odd: set[int]) -> set[int]:
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
        if _SPACED_COLON.search(raws[i])
    }
    counted = values.copy() if odd else values
    for i in odd:
        counted[i] = ()
    keys = numpy.fromiter(map(len, counted), numpy.int64, len(counted))
    mismatched = [i for i in numpy.flatnonzero(raw_keys != keys).tolist() if i not in odd and i not in suspects]
    suspects.update(i for i in mismatched if _ESCAPED_QUOTE_OR_COLON.search(raws[i]))
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


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while batches are read and checked.

    Records are freed by reference counting when their batch is done; the collector would only
    rescan the live batch, over and over (measured: a third of the parse time of chat records,
    which are many small containers). It runs again, catching any cycle, on exit, with what
    the pause made (a million findings) counted as old: the next collection, which would
    traverse them all to free nothing (0.1 s for 120,000 findings), leaves them to the next
    full collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():  # (a program that froze objects itself keeps them frozen)
                gc.freeze()  # every tracked object to the permanent generation,
                gc.unfreeze()  # and back into the oldest one
            gc.enable()


def iter_batches(stream: ByteStream, path: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, first_line: int = 1) -> Iterator[Batch]:
    """Parse a whole stream into batches, one per block read (about BLOCK_BYTES)."""
    line = first_line
    for raws, block in iter_blocks(stream, max_line_bytes):
        yield parse_lines(raws, line, path, max_line_bytes, block)
        line += len(raws)
