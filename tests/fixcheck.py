"""What "a fix loses nothing" means, as a check: every string, key and number of the original,
parsed losslessly (duplicate keys kept, numbers as written, invalid bytes kept), is in the fixed
file (a string: inside one of its strings; keys and numbers: as many times) or its original
line is in `<name>.removed.jsonl` byte for byte. Used by the fix tests and the fuzzer."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

BOM = b"\xef\xbb\xbf"
_DECODER = json.JSONDecoder(
    object_pairs_hook=lambda pairs: ("object", pairs),
    parse_int=lambda s: ("number", s), parse_float=lambda s: ("number", s), parse_constant=lambda s: ("number", s),
)


@dataclass
class Atoms:
    strings: list[str] = field(default_factory=list)
    keys: Counter = field(default_factory=Counter)
    numbers: Counter = field(default_factory=Counter)
    rest: list[bytes] = field(default_factory=list)  # bytes that are not JSON: kept as they are

    def add_value(self, value: object) -> None:
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                self.strings.append(v)
            elif isinstance(v, tuple) and v[0] == "object":
                for key, item in v[1]:
                    self.keys[key] += 1
                    stack.append(item)
            elif isinstance(v, tuple):
                self.numbers[v[1]] += 1
            elif isinstance(v, list):
                stack.extend(v)


def atoms(raw: bytes) -> Atoms:
    """The atoms of every JSON value on a line (invalid UTF-8 read as lone surrogates, so that
    the bytes count), and what is left that is not JSON."""
    found = Atoms()
    text = raw.decode("utf-8", "surrogateescape")
    at = 0
    text = text[1:] if text.startswith("\ufeff") else text
    while True:
        while at < len(text) and text[at] in " \t\r\n\ufeff":
            at += 1
        if at >= len(text):
            return found
        try:
            value, at = _DECODER.raw_decode(text, at)
        except (json.JSONDecodeError, RecursionError):
            found.rest.append(text[at:].encode("utf-8", "surrogateescape"))
            return found
        found.add_value(value)


def aside_lines(removed: bytes) -> list[bytes]:
    """The original lines held in a <name>.removed.jsonl, byte for byte."""
    lines = []
    for entry_line in removed.splitlines():
        entry = json.loads(entry_line)
        if "raw_hex" in entry:
            lines.append(bytes.fromhex(entry["raw_hex"]))
        elif "raw" in entry:
            lines.append(entry["raw"].encode("utf-8", "surrogatepass"))
        else:
            record_at = entry_line.index(b'"record": ') + len(b'"record": ')
            lines.append(entry_line[record_at:-1])
    return lines


def lost(original: bytes, fixed: bytes, removed: bytes) -> list[str]:
    """What of `original` is neither in `fixed` nor, as its whole line, in `removed`."""
    kept = set(aside_lines(removed))
    out = Atoms()
    for line in fixed.split(b"\n"):
        found = atoms(line)
        out.strings += found.strings
        out.keys += found.keys
        out.numbers += found.numbers
    wanted = Atoms()
    missing = []
    for number, line in enumerate(original.split(b"\n"), 1):
        if not line.strip(b" \t\r\n") or line in kept:
            continue
        found = atoms(line)
        wanted.keys += found.keys
        wanted.numbers += found.numbers
        missing += [f"line {number}: string {s!r}" for s in found.strings if not any(s in o for o in out.strings)]
        missing += [f"line {number}: bytes {r!r}" for r in found.rest if r.strip(b" \t\r.,;") and r.rstrip(b" \t\r") not in fixed]
    missing += [f"key {k!r} x{n - out.keys[k]}" for k, n in wanted.keys.items() if out.keys[k] < n]
    missing += [f"number {k} x{n - out.numbers[k]}" for k, n in wanted.numbers.items() if out.numbers[k] < n]
    return missing
