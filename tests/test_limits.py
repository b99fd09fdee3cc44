"""Resource bounds (see docs/GUARANTEES.md for the numbers measured): huge lines, deep nesting,
millions of records and gzip bombs finish in bounded memory with a clear diagnostic. Their
time is benchmarks/limits.py's (ratios to a floor measured in the same run): wall-clock bounds
flake on a shared machine. The timeouts here only stop a hang.

Each case runs the installed `ftlint` in a subprocess and reads its peak resident memory from
os.wait4 (ru_maxrss: the largest of the process and the children it waited for), measured by a
small wrapper interpreter (see _WRAPPER).
"""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MB = 1 << 20


@dataclass
class Measured:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def ftlint_command() -> list[str]:
    script = Path(sys.executable).parent / "ftlint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ftlint"]


# Runs the command and reports its rusage. ru_maxrss counts what a child held between fork and
# exec, so forking ftlint from pytest (hundreds of MB by then) would report pytest's size: a small
# fresh interpreter does the fork instead.
_WRAPPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def _run_measured(args: tuple[str, ...], timeout: float, stdout: Any, stderr: Any) -> tuple[int, float, float]:
    """(exit code, peak RSS in MB, CPU seconds) of `ftlint ARGS`; killed after `timeout` s."""
    handle, usage_path = tempfile.mkstemp(suffix=".rusage")
    os.close(handle)
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, usage_path, *ftlint_command(), *args],
                            stdout=stdout, stderr=stderr, start_new_session=True)
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    try:
        code = proc.wait()
    finally:
        timer.cancel()
    with open(usage_path) as read:
        fields = read.read().split()
    os.unlink(usage_path)
    if len(fields) != 2:  # killed
        return code, float("nan"), float("nan")
    return code, int(fields[0]) / 1024, float(fields[1])


def measure(*args: str, timeout: float = 120, cwd: Path | None = None) -> Measured:
    """Run `ftlint ARGS`; its exit code, output, wall time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        code, peak_mb, _ = _run_measured(args, timeout, out, err)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), seconds, peak_mb)


def report(case: str, m: Measured) -> None:
    """Shown with -rP / -s: the numbers docs/GUARANTEES.md quotes."""
    print(f"{case}: exit {m.code}, {m.seconds:.1f} s, peak RSS {m.peak_mb:.0f} MB")


# --- one 200 MB line ---------------------------------------------------------------------------

def test_200_mb_line_is_ft012_with_bounded_memory(tmp_path):
    path = tmp_path / "huge.jsonl"
    chunk = b"a" * MB
    with open(path, "wb") as out:
        out.write(b'{"prompt": "')
        out.writelines(chunk for _ in range(200))
        out.write(b'", "completion": " b"}\n{"prompt": "x ->", "completion": " y"}\n{"prompt": "broken\n')
    m = measure("check", str(path), "--isolated", "--select", "FT0")
    path.unlink()
    report("200 MB line", m)
    assert m.code == 1, m.stderr
    assert f"{path}:1:1: FT012 [error] line is 209,715,234 bytes, over max-line-bytes (16,777,216); not parsed" in m.stdout
    assert f"{path}:3:" in m.stdout and "FT001" in m.stdout  # the lines after it are still read, numbered right
    assert "Traceback" not in m.stderr
    assert m.peak_mb < 300


def test_max_line_bytes_is_configurable(tmp_path, capsys):
    from ftlint.cli import main

    (tmp_path / "ftlint.toml").write_text("max-line-bytes = 100\n")
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"prompt": "' + b"a" * 200 + b'", "completion": " b"}\n{"prompt": "a", "completion": " b"}\n')
    assert main(["check", str(path), "--config", str(tmp_path / "ftlint.toml"), "--select", "FT012"]) == 1
    assert f"{path}:1:1: FT012 [error] line is 234 bytes, over max-line-bytes (100); not parsed" in capsys.readouterr().out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fix_beside_a_100_mb_line_has_bounded_memory(tmp_path, jobs):
    """--fix copies an over-long line it cannot edit through in blocks: never held whole."""
    path = tmp_path / "huge.jsonl"
    chunk = b"a" * MB
    with open(path, "wb") as out:
        out.write(b'{"prompt": "')
        out.writelines(chunk for _ in range(100))
        out.write(b'", "completion": " b"}\n{"prompt": "x", "completion": " y"}.\n')
    size = path.stat().st_size
    m = measure("check", str(path), "--isolated", "--select", "FT0", "--fix", "--jobs", jobs)
    fixed_size = path.stat().st_size
    path.unlink()
    report(f"--fix beside a 100 MB line (--jobs {jobs})", m)
    assert m.code == 1 and "fixed 1 (FT004" in m.stdout, m.stderr
    assert fixed_size == size - 1  # the long line was copied, only the "." cut
    assert m.peak_mb < 300


def test_fix_of_every_line(tmp_path):
    """--fix of a file where every line needs a fix (CRLF endings: FT010) fixes them all (its
    cost against a check is benchmarks/limits.py's)."""
    path = tmp_path / "crlf.jsonl"
    lines = [b'{"prompt": "Review %d: crisp sound ->", "completion": " positive"}' % i for i in range(20_000)]
    path.write_bytes(b"".join(line + b"\r\n" for line in lines))
    m = measure("check", str(path), "--isolated", "--select", "FT0", "--jobs", "1", "--fix")
    assert m.code == 0, m.stderr
    assert path.read_bytes() == b"".join(line + b"\n" for line in lines)


# --- deep nesting ------------------------------------------------------------------------------

DEEP_LINES = [
    b'{"prompt": ' + b"[" * 10 + b"]" * 10 + b', "completion": " ok"}',  # 10 levels: fine
    b'{"prompt": ' + b"[" * 100_000 + b"]" * 100_000 + b', "completion": " b"}',
    b'{"a": ' + b'{"b": ' * 100_000 + b"1" + b"}" * 100_000 + b"}",
    b"[" * 100_000,  # and unterminated
    b'{"prompt": ' + b"[" * 900 + b"]" * 900 + b', "completion": " b"}',  # about Python's recursion limit
    b'{"prompt": "' + b"{" * 100_000 + b'", "completion": " b"}',  # deep-looking text in a string: fine
]


def test_deep_nesting_is_a_clear_diagnostic(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"\n".join(DEEP_LINES) + b"\n")
    m = measure("check", str(path), "--isolated", "--format", "json", timeout=60)
    report("deep nesting", m)
    assert m.code == 1 and "Traceback" not in m.stderr and "RecursionError" not in m.stdout + m.stderr

    found = {(d["location"]["line"], d["code"]): d["message"] for d in json.loads(m.stdout)["diagnostics"]}
    for line in (2, 3, 4):
        assert found[(line, "FT001")] == "invalid JSON: nesting too deep to parse"
    assert not {c for (line, c) in found if line in (1, 6) and c.startswith("FT0")}
    for command in (["conventions"], ["tokens", "--jobs", "1"]):
        other = measure(*command, str(path), "--isolated", timeout=60)
        assert other.code == 0 and "Traceback" not in other.stderr, (command, other.stderr)


@pytest.mark.parametrize("depth", [10, 100, 500, 900, 990, 1000, 1024, 1100, 5000, 100_000])
@pytest.mark.parametrize("shape", ["array", "object", "prompt"])
def test_deep_nesting_in_process(tmp_path, capsys, depth, shape):
    """In-process (a deeper Python stack than the command's): no exception at any depth."""
    from ftlint.cli import main

    value = {"array": b"[" * depth + b"]" * depth, "object": b'{"a":' * depth + b"1" + b"}" * depth,
             "prompt": b'{"prompt": ' + b"[" * depth + b"1" + b"]" * depth + b', "completion": " b"}'}[shape]
    path = tmp_path / "deep.jsonl"
    path.write_bytes(value + b"\n" + b'{"prompt": "a ->", "completion": " b"}\n' * 3)
    assert main(["check", str(path), "--isolated", "--jobs", "1"]) in (0, 1)
    out, err = capsys.readouterr()
    assert "internal error" not in err and "FT000" not in out
    if depth >= 1100:
        assert f"{path}:1:1: FT001 [error] invalid JSON: nesting too deep to parse" in out


# --- millions of records -----------------------------------------------------------------------

# 2 million in the suite (about 25 s); FTLINT_LIMITS_RECORDS=5000000 for the 5 million that
# docs/GUARANTEES.md quotes (about 65 s and 930 MB on a busy 2-core machine).
RECORDS = int(os.environ.get("FTLINT_LIMITS_RECORDS", "2000000"))


def test_millions_of_tiny_records(tmp_path):
    """Millions of distinct prompt-completion records (2 M: about 80 MB, 5 M: about 210 MB; above
    PARALLEL_MIN_BYTES the default --jobs splits the file across the cores)."""
    path = tmp_path / "many.jsonl"
    with open(path, "wb") as out:
        step = 500_000
        out.writelines(b"".join(b'{"prompt":"q%d ->","completion":" %s"}\n' % (i, b"yes" if i % 3 else b"no")
                               for i in range(start, min(start + step, RECORDS))) for start in range(0, RECORDS, step))
    m = measure("check", str(path), "--isolated", "--statistics", "-q", timeout=300)
    path.unlink()
    report(f"{RECORDS:,} records", m)
    assert m.code in (0, 1) and "Traceback" not in m.stderr, m.stderr
    assert m.peak_mb < 1024


def test_a_million_empty_objects(tmp_path):
    """`{}` lines: the most records per byte (no accepted format: one FT015, no content rule applies)."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"{}\n" * 1_000_000)
    m = measure("check", str(path), "--isolated", timeout=120)
    report("1,000,000 `{}` lines", m)
    assert m.code == 1 and "1,000,000 records" in m.stdout
    assert [line.split(" [")[0] for line in m.stdout.splitlines() if "[error]" in line] == [f"{path}:1:1: FT015"]
    assert m.peak_mb < 1024


# --- gzip bombs --------------------------------------------------------------------------------

def gzip_bomb(path: Path, first: bytes, filler: bytes, size: int) -> None:
    """A .gz of concatenated members that decompresses to `first` + `filler` repeated to `size`
    bytes (16 MiB members compressed once and repeated: about 1 MB on disk per GB)."""
    member = gzip.compress(filler * (16 * MB // len(filler)), compresslevel=9)
    with open(path, "wb") as out:
        out.write(gzip.compress(first))
        out.writelines(member for _ in range(size // (16 * MB)))


@pytest.mark.parametrize("kind", ["zeros", "endless-line", "newlines"])
def test_gzip_bomb(tmp_path, kind):
    """1 GiB from 1 MB: refused as a decompression bomb (exit 2, a clear message) or read in
    bounded memory (FT012 for the endless line, FT005 for the newlines)."""
    path = tmp_path / "bomb.jsonl.gz"
    first = b'{"prompt": "' if kind == "endless-line" else b""
    gzip_bomb(path, first, {"zeros": b"\0", "endless-line": b"a", "newlines": b"\n"}[kind], 1 << 30)
    assert path.stat().st_size < 2 * MB
    m = measure("check", str(path), "--isolated", "-q", timeout=180)
    report(f"1 GiB gzip bomb ({kind})", m)
    assert "Traceback" not in m.stderr and "internal error" not in m.stderr, m.stderr
    if m.code == 2:
        assert m.stderr.startswith(f"ftlint: error: {path}: decompresses to over") and "decompression bomb" in m.stderr
    else:
        assert m.code == 1, m.stderr
        code = "FT005" if kind == "newlines" else "FT012"
        assert f"{path}:1:1: {code} " in m.stdout
    assert m.peak_mb < 300


def test_compressible_but_real_gzip_is_read(tmp_path):
    """The bomb guard does not refuse a real, repetitive dataset (100,000 near-identical records)."""
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(b'{"prompt": "Is %d even? ->", "completion": " yes"}\n' % i for i in range(100_000))))
    m = measure("check", str(path), "--isolated", "-q", "--select", "FT0")
    assert m.code == 0, m.stderr


def test_a_million_blank_lines(tmp_path):
    """One FT005 per run of blank lines (per 4 MiB block read), not one per line."""
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n" * 1_000_000 + b'{"prompt": "a ->", "completion": " b"}\n')
    m = measure("check", str(path), "--isolated", "--select", "FT0", "--jobs", "1", timeout=120)
    report("1,000,000 blank lines", m)
    assert m.code == 0, m.stderr
    assert m.stdout.count("FT005") == 1 and "1,000,000 blank lines (1-1,000,000)" in m.stdout
    assert m.peak_mb < 300
