"""Lossless edits of the raw bytes of a JSONL line.

A fix that changes one value of a record must keep every other byte of its line: integers of
any size and number literals as written, duplicate keys, escapes, invalid UTF-8, whatever
follows the record on the line. Parsing and re-serialising loses all of these, so fixes edit
the text instead: a small tokenizer finds the byte span of the value at a JSON pointer in the
line's first JSON value, and only that span (for a string: only the characters that change)
is replaced by the new value's serialisation.

Values are compared as the reader sees them (`ftlint.reader.diagnose`): the line decoded as
UTF-8 with each invalid sequence read as one U+FFFD, escapes decoded, an unpaired surrogate
escape read as U+FFFD, and of duplicate keys the last one.
"""
from __future__ import annotations

import json
import re
from typing import Any

BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"
_LITERAL = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity")
_REPLACEMENT = "\ufffd".encode()
_SIMPLE_ESCAPES = {ord('"'): '"', ord("\\"): "\\", ord("/"): "/", ord("b"): "\b", ord("f"): "\f",
                   ord("n"): "\n", ord("r"): "\r", ord("t"): "\t"}
# Written as escapes in new text: line and paragraph separators (which some tools split lines
# on) and surrogates (not encodable as UTF-8).
_ESCAPED = {c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0xD800, 0xE000))}


class Inexact(ValueError):
    """The edit cannot be made without changing bytes it does not name; the message says why."""


def skip_ws(raw: bytes, at: int) -> int:
    while at < len(raw) and raw[at] in _WS:
        at += 1
    return at


def first_value(raw: bytes) -> tuple[int, int]:
    """Byte span of the line's first JSON value (after a BOM and whitespace)."""
    start = skip_ws(raw, 3 if raw.startswith(BOM) else 0)
    return start, value_end(raw, start)


def _string_end(raw: bytes, at: int) -> int:
    k = at + 1
    while True:
        quote, escape = raw.find(b'"', k), raw.find(b"\\", k)
        if quote < 0:
            raise Inexact("unterminated string")
        if 0 <= escape < quote:
            k = escape + 2
            continue
        return quote + 1


def value_end(raw: bytes, at: int) -> int:
    """End of the JSON value starting at `at` (no recursion: any nesting depth)."""
    closing = {ord("{"): ord("}"), ord("["): ord("]")}
    stack: list[int] = []
    k = at
    while True:
        k = skip_ws(raw, k)
        if k >= len(raw):
            raise Inexact("the JSON value ends early")
        c = raw[k]
        if c in closing:
            stack.append(closing[c])
            k += 1
            continue
        if c in (ord("}"), ord("]")):
            if not stack or stack.pop() != c:
                raise Inexact("mismatched brackets")
            k += 1
        elif c == ord('"'):
            k = _string_end(raw, k)
        elif c in (ord(","), ord(":")) and stack:
            k += 1
            continue
        else:
            match = _LITERAL.match(raw, k)
            if not match:
                raise Inexact(f"unexpected byte 0x{c:02x} at byte {k}")
            k = match.end()
        if not stack:
            return k


def _utf8(raw: bytes, start: int, end: int) -> list[tuple[str, int, int]]:
    """Characters of raw[start:end] as (character, byte start, byte end), each invalid UTF-8
    sequence one U+FFFD, exactly as `bytes.decode("utf-8", "replace")` reads them."""
    out: list[tuple[str, int, int]] = []
    pos = start
    while pos < end:
        try:
            text, bad = raw[pos:end].decode("utf-8"), None
        except UnicodeDecodeError as error:
            text, bad = raw[pos : pos + error.start].decode("utf-8"), (pos + error.start, pos + error.end)
        for ch in text:
            size = len(ch.encode("utf-8"))
            out.append((ch, pos, pos + size))
            pos += size
        if bad is None:
            break
        out.append(("\ufffd", *bad))
        pos = bad[1]
    return out


def utf8_chars(raw: bytes) -> list[tuple[str, int, int]]:
    """Every character of a line, see `_utf8`."""
    return _utf8(raw, 0, len(raw))


def string_chars(raw: bytes, start: int, end: int) -> list[tuple[str, int, int]]:
    """Characters of the JSON string literal raw[start:end] (quotes included) as the reader
    reads them, each with the byte span of its raw form (an escape, or its UTF-8 bytes)."""
    out: list[tuple[str, int, int]] = []
    k, stop = start + 1, end - 1
    while k < stop:
        escape = raw.find(b"\\", k, stop)
        if escape < 0:
            out.extend(_utf8(raw, k, stop))
            break
        out.extend(_utf8(raw, k, escape))
        kind = raw[escape + 1]
        if kind != ord("u"):
            if kind not in _SIMPLE_ESCAPES:
                raise Inexact(f"invalid escape at byte {escape}")
            out.append((_SIMPLE_ESCAPES[kind], escape, escape + 2))
            k = escape + 2
            continue
        code = _hex(raw, escape)
        k = escape + 6
        if 0xD800 <= code < 0xDC00 and raw[k : k + 2] == b"\\u":
            low = _hex(raw, k)
            if 0xDC00 <= low < 0xE000:
                out.append((chr(0x10000 + ((code - 0xD800) << 10) + low - 0xDC00), escape, k + 6))
                k += 6
                continue
        out.append(("\ufffd" if 0xD800 <= code < 0xE000 else chr(code), escape, k))
    return out


def _hex(raw: bytes, escape: int) -> int:
    digits = raw[escape + 2 : escape + 6]
    if len(digits) != 4 or not all(chr(d) in "0123456789abcdefABCDEF" for d in digits):
        raise Inexact(f"invalid \\u escape at byte {escape}")
    return int(digits, 16)


def _members(raw: bytes, at: int) -> list[tuple[str, int, int]]:
    """Members of the object at `at` in order, duplicates kept: (key, value start, value end)."""
    members: list[tuple[str, int, int]] = []
    k = skip_ws(raw, at + 1)
    if raw[k : k + 1] == b"}":
        return members
    while True:
        if raw[k : k + 1] != b'"':
            raise Inexact(f"expected a key at byte {k}")
        key_end = _string_end(raw, k)
        key = "".join(ch for ch, _, _ in string_chars(raw, k, key_end))
        k = skip_ws(raw, key_end)
        if raw[k : k + 1] != b":":
            raise Inexact(f"expected ':' at byte {k}")
        start = skip_ws(raw, k + 1)
        end = value_end(raw, start)
        members.append((key, start, end))
        k = skip_ws(raw, end)
        if raw[k : k + 1] == b"}":
            return members
        if raw[k : k + 1] != b",":
            raise Inexact(f"expected ',' or '}}' at byte {k}")
        k = skip_ws(raw, k + 1)


def _elements(raw: bytes, at: int) -> list[tuple[int, int]]:
    elements: list[tuple[int, int]] = []
    k = skip_ws(raw, at + 1)
    if raw[k : k + 1] == b"]":
        return elements
    while True:
        end = value_end(raw, k)
        elements.append((k, end))
        k = skip_ws(raw, end)
        if raw[k : k + 1] == b"]":
            return elements
        if raw[k : k + 1] != b",":
            raise Inexact(f"expected ',' or ']' at byte {k}")
        k = skip_ws(raw, k + 1)


def pointer_parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def encode_text(text: str) -> bytes:
    """`text` as the inside of a JSON string literal (UTF-8, minimal escapes)."""
    return json.dumps(text, ensure_ascii=False)[1:-1].translate(_ESCAPED).encode("utf-8")


def dumps(value: Any) -> bytes:
    """A new value's JSON text (UTF-8, minimal escapes); Inexact when it is not JSON."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False).translate(_ESCAPED).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise Inexact(f"the new value is not JSON ({error})") from None


def set_value(raw: bytes, pointer: str, new: Any) -> tuple[bytes, bool]:
    """The line with the value at `pointer` (in its first JSON value) set to `new`, and
    whether anything of the old value was removed (the old text is not inside the new). Of duplicate keys the last
    is set (the one parsers keep); a missing last key is added at the end of its object.
    `new` may be a function of the string there (as the reader reads it) giving its new text;
    Inexact when there is no string there. Every other byte of the line is kept. Raises
    Inexact when the pointer cannot be followed."""
    start, _ = first_value(raw)
    parts = pointer_parts(pointer)
    if not parts:
        raise Inexact("a fix may not replace a whole record")
    node = start
    for depth, part in enumerate(parts):
        kind = raw[node : node + 1]
        if kind == b"{":
            found = [(s, e) for key, s, e in _members(raw, node) if key == part]
            if found:
                node, end = found[-1]
                continue
            if depth < len(parts) - 1 or callable(new):
                raise Inexact(f"no key {part!r} on the path {pointer}")
            close = value_end(raw, node) - 1
            comma = b"," if _members(raw, node) else b""
            return raw[:close] + comma + dumps(part) + b":" + dumps(new) + raw[close:], False
        if kind == b"[" and part.isdigit() and int(part) < len(elements := _elements(raw, node)):
            node, end = elements[int(part)]
            continue
        raise Inexact(f"no value at {pointer}")
    if raw[node : node + 1] == b'"' and (isinstance(new, str) or callable(new)):
        chars = string_chars(raw, node, end)
        old = "".join(ch for ch, _, _ in chars)
        if callable(new):
            new = new(old)
        prefix = 0
        while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
            suffix += 1
        head = chars[prefix - 1][2] if prefix else node + 1
        tail = chars[len(old) - suffix][1] if suffix else end - 1
        middle = encode_text(new[prefix : len(new) - suffix])
        unreadable = any(ch == "\ufffd" and raw[s:e] != _REPLACEMENT for ch, s, e in chars[prefix : len(old) - suffix])
        return raw[:head] + middle + raw[tail:], unreadable or removes_text(old, new)
    if callable(new):
        raise Inexact(f"no text at {pointer}")
    text = dumps(new)
    if raw[node:end] == text:
        return raw, False
    return raw[:node] + text + raw[end:], True


def removes_text(old: str, new: str) -> bool:
    """Whether `new` in place of `old` removes anything: only a fix that adds text (a separator
    or stop appended or completed, a space prepended) keeps the old text whole inside the new."""
    return old not in new


def drop_value(raw: bytes) -> bytes | None:
    """The line without its first JSON value (and the whitespace after it); None when nothing
    but whitespace and a BOM would remain, so the line goes."""
    start, end = first_value(raw)
    rest = raw[:start] + raw[skip_ws(raw, end):]
    return None if not rest.replace(BOM, b"").strip(_WS) else rest


def realign(raw: bytes, new_lines: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Line-level edits are made from the line's decoded text, where each invalid UTF-8
    sequence is U+FFFD: give each new line that is a piece of the old one its original bytes
    back. New lines that are not pieces of the line (in order) are returned as they are."""
    if all(line in raw for line in new_lines):
        return new_lines
    chars = utf8_chars(raw)
    text = "".join(ch for ch, _, _ in chars)
    out, cursor = [], 0
    for line in new_lines:
        piece = line.decode("utf-8", "replace")
        at = text.find(piece, cursor) if piece else -1
        if at < 0:
            out.append(line)
            continue
        cursor = at + len(piece)
        out.append(raw[chars[at][1] : chars[cursor - 1][2]])
    return tuple(out)
