"""Showing dataset text safely: visible escapes, bounded length, no terminal control characters."""
from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, bidi overrides: none may reach a terminal raw.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    return _NAMED.get(ch) or f"\\u{ord(ch):04x}"


def escape_controls(text: str) -> str:
    """Replace every control character with a visible escape such as `\\n` or `\\u001b`."""
    return _UNSAFE.sub(_escape, text)


def show(text: str, limit: int = 40) -> str:
    """Quote a piece of dataset text for a message: `"..."`, escaped, cut to `limit` characters."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return '"' + escape_controls(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'
