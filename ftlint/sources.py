"""Where a dataset's bytes come from.

A regular file (plain or gzip) is read in place: sampled for conventions, then read for records.
Anything else (standard input `-`, a pipe, a named FIFO, `/dev/stdin`, `<(cat f)`, a device) can
be read only once, so it is copied once into a spool file, which is then read like a regular
file: nothing is skipped and nothing is read twice. The spool is bounded (`max-stream-bytes`,
default DEFAULT_MAX_STREAM_BYTES): past it the input is refused with a clear error (exit 2),
so an endless stream (`/dev/zero`) costs bounded memory and bounded temporary space. The spool
is removed on every exit, signals included (`ftlint.tempfiles`).
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from typing import BinaryIO, Iterator

from ftlint import tempfiles

DEFAULT_MAX_STREAM_BYTES = 4 << 30  # 4 GiB
COPY_BYTES = 1 << 20


class StreamTooLarge(OSError):
    """A stream is longer than max-stream-bytes."""


def is_stream(path: str) -> bool:
    """Whether `path` can be read only once: standard input, or anything but a regular file."""
    if path == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # opening it reports the error


@contextlib.contextmanager
def readable_path(path: str, max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES) -> Iterator[str]:
    """A regular file holding the bytes of `path`: `path` itself, or a spool of the stream."""
    if not is_stream(path):
        yield path
        return
    with tempfiles.temporary_file(prefix="ftlint-stream-", suffix=".jsonl") as (handle, spool):
        with os.fdopen(handle, "wb") as out:
            if path == "-":
                _copy(sys.stdin.buffer, out, max_stream_bytes)
            else:
                with open(path, "rb") as source:
                    _copy(source, out, max_stream_bytes)
        yield spool


def _copy(source: BinaryIO, out: BinaryIO, limit: int) -> None:
    copied = 0
    while chunk := source.read(COPY_BYTES):
        copied += len(chunk)
        if copied > limit:
            raise StreamTooLarge(
                errno.EFBIG,
                f"stream is longer than max-stream-bytes ({limit:,} bytes); not checked. Raise the limit "
                "with --max-stream-bytes or `max-stream-bytes` in the config, or check the data as a file",
            )
        out.write(chunk)


def parse_size(value: str | int) -> int:
    """A byte count: an integer, or a number with a K, M, G or T suffix (powers of 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str):
        text = value.strip().upper().removesuffix("B").removesuffix("I")
        factor = 1 << (10 * ("KMGT".index(text[-1]) + 1)) if text[-1:] in ("K", "M", "G", "T") else 1
        number = text[:-1] if factor > 1 else text
        if not number.isdigit():
            raise ValueError(f"{value!r} is not a size like 4294967296, 512M or 4G")
        size = int(number) * factor
    else:
        raise ValueError(f"{value!r} is not a size like 4294967296, 512M or 4G")
    if size <= 0:
        raise ValueError(f"{value!r}: a size must be positive")
    return size
