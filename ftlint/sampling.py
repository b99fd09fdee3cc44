"""Sampling: the records conventions are inferred from, counted in records as well as bytes."""
from __future__ import annotations

import io
import os
from typing import BinaryIO

from ftlint.batch import Record
from ftlint.files import DEFAULT_MAX_LINE_BYTES, open_binary
from ftlint.parse import parse_lines

SAMPLE_BYTES = 4 << 20  # about 10,000 records of typical size
MIN_SAMPLE_RECORDS = 256  # a sample reaches this many records whatever their size (each within max-line-bytes)
SAMPLE_WINDOWS = 32


def sample_records(path: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, files: int = 1) -> list[Record | None]:
    """Records to infer conventions from, counted in records as well as bytes, so that one huge
    record never starves the sample: a small file whole; a larger one in SAMPLE_WINDOWS evenly
    spaced windows of whole lines (a compressed file: from its start), each taking its share of
    SAMPLE_BYTES, and at least its share of MIN_SAMPLE_RECORDS whatever their size. A file of a
    dataset of `files` files takes 1/files of both."""
    raws: list[bytes | int] = []
    total, records = SAMPLE_BYTES // files, -(-MIN_SAMPLE_RECORDS // files)
    with open_binary(path) as stream:
        size = os.fstat(stream.fileno()).st_size if isinstance(stream, io.BufferedReader) else -1
        if size <= total:
            windows = [(0, -1)]
        else:
            starts = [k * size // SAMPLE_WINDOWS for k in range(SAMPLE_WINDOWS)]
            windows = list(zip(starts, starts[1:] + [-1]))
        budget, minimum = total // len(windows), -(-records // len(windows))
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
        length = raw if isinstance(raw, int) else len(raw) + 1
        seen += length
        if isinstance(raw, bytes) and not raw.strip():
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
