"""Reading dataset files: open them (gzip as a stream that refuses decompression bombs), split
their bytes into blocks of lines on b"\\n" only, cut them into byte ranges for parallel
workers, count lines in place."""
from __future__ import annotations

import gzip
import mmap
import os
import sys
from typing import BinaryIO, Iterator, Protocol, cast

import numpy

BLOCK_BYTES = 1 << 22
DEFAULT_MAX_LINE_BYTES = 16 << 20


class ByteStream(Protocol):
    """What blocks of lines are read from: a file, a gzip stream, a byte range."""

    def read(self, size: int, /) -> bytes: ...


def iter_raw_lines(stream: ByteStream, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[list[bytes | int]]:
    """Yield lists of raw lines split on b"\\n" only. A line longer than `max_line_bytes` is
    yielded as its length (an int): its bytes are skipped, so memory stays bounded."""
    for lines, _ in iter_blocks(stream, max_line_bytes):
        yield lines


def iter_blocks(stream: ByteStream, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[tuple[list[bytes | int], bytes | None]]:
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
            yield cast(list[bytes | int], body.split(b"\n")), body
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
