"""Inputs a gate must never pass by accident: streams read exactly once and bounded, samples
that one huge record cannot starve, integers Python refuses, one bad file among good ones."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ftlint import api, conventions
from ftlint.config import Settings

DATA = Path(__file__).parent / "data"
TRAIN = (DATA / "train_small.jsonl").read_bytes()  # 150 clean classification records
CHAT = (DATA / "chat_small.jsonl").read_bytes()  # 20 clean conversations
BROKEN = b'{"prompt": "An elegant work ->", "completion": " positive"\n'


def _train_with_a_broken_last_line() -> bytes:
    """300 real records, then one line without its closing brace (line 301)."""
    return TRAIN + TRAIN + BROKEN


def _lines_of(out: bytes, code: str) -> list[int]:
    return [d["location"]["line"] for d in json.loads(out)["diagnostics"] if d["code"] == code]


# --- pipes, FIFOs, /dev/stdin: read exactly once, nothing skipped -------------------------------

def test_process_substitution_is_read_whole(tmp_path: Path, ftlint) -> None:
    data = tmp_path / "train.jsonl"
    data.write_bytes(_train_with_a_broken_last_line())
    command = Path(sys.executable).parent / "ftlint"
    proc = subprocess.run(["bash", "-c", f'"{command}" check <(cat "{data}") --format json'], capture_output=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["files"][0]["records"] == 300
    assert _lines_of(proc.stdout, "FT001") == [301]


@pytest.mark.parametrize("path", ["-", "/dev/stdin"])
def test_standard_input_is_read_whole(ftlint, path: str) -> None:
    proc = ftlint("check", path, "--format", "json", stdin=_train_with_a_broken_last_line())
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["files"][0]["records"] == 300
    assert _lines_of(proc.stdout, "FT001") == [301]


def test_named_fifo_does_not_hang_and_is_read_whole(tmp_path: Path, ftlint) -> None:
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as out:
            out.write(_train_with_a_broken_last_line())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    proc = ftlint("check", str(fifo), "--format", "json")
    writer.join(10)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["files"][0]["records"] == 300
    assert _lines_of(proc.stdout, "FT001") == [301]


def test_fix_refuses_a_pipe(ftlint) -> None:
    proc = ftlint("check", "/dev/stdin", "--fix", stdin=TRAIN)
    assert proc.returncode == 2 and b"regular files" in proc.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_stream_is_refused_with_bounded_spool(tmp_path: Path, ftlint, device: str) -> None:
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    proc = ftlint("check", device, "--max-stream-bytes", "2M", env={"TMPDIR": str(spool_dir)})
    assert proc.returncode == 2
    assert b"longer than max-stream-bytes (2,097,152 bytes)" in proc.stderr
    assert b"Traceback" not in proc.stderr
    assert list(spool_dir.iterdir()) == []


def test_stream_limit_from_the_config(tmp_path: Path, ftlint) -> None:
    config = tmp_path / "ftlint.toml"
    config.write_text('max-stream-bytes = "1K"\n')
    proc = ftlint("check", "-", "--config", str(config), stdin=TRAIN)
    assert proc.returncode == 2 and b"max-stream-bytes (1,024 bytes)" in proc.stderr
    config.write_text('max-stream-bytes = "lots"\n')
    proc = ftlint("check", "-", "--config", str(config), stdin=TRAIN)
    assert proc.returncode == 2 and b"max-stream-bytes" in proc.stderr and b"Traceback" not in proc.stderr


def test_spool_is_removed_on_sigterm(tmp_path: Path) -> None:
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "ftlint", "check", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(spool_dir)})
    assert proc.stdin is not None
    proc.stdin.write(TRAIN)  # the stream stays open: ftlint is still spooling it
    proc.stdin.flush()
    for _ in range(1200):  # the spool holds bytes once it is registered for removal and being filled
        if any(p.stat().st_size for p in spool_dir.iterdir()):
            break
        time.sleep(0.05)
    assert list(spool_dir.iterdir()), "the spool file never appeared"
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    proc.stdin.close()
    assert proc.returncode == -signal.SIGTERM
    assert list(spool_dir.iterdir()) == []


# --- sampling counts records, not bytes ---------------------------------------------------------

def test_one_huge_first_record_does_not_starve_inference(tmp_path: Path) -> None:
    """A first record of 4.6 MiB, then 20 conversations whose roles are invalid: the sample
    still sees chat, and every conversation is checked."""
    records = [json.loads(line) for line in CHAT.splitlines()]
    huge = dict(records[0])
    filler = " ".join(m["content"] for r in records for m in r["messages"])
    huge["messages"] = [{"role": "system", "content": (filler + " ") * (4_600_000 // len(filler))}, *records[0]["messages"]]
    broken = [{"messages": [{**m, "role": {"user": "usr", "assistant": "bot"}.get(m["role"], m["role"])} for m in r["messages"]]}
              for r in records]
    path = tmp_path / "chat.jsonl"
    path.write_bytes(b"\n".join(json.dumps(r).encode() for r in [huge, *broken]) + b"\n")
    assert path.stat().st_size > 4 << 20
    result = api.check([str(path)])
    assert result.conventions[str(path)].format == "chat"
    assert result.conventions[str(path)].sampled == 21
    invalid_role_lines = {d.location.line for d in result.diagnostics if d.code == "FT703"}
    assert invalid_role_lines == set(range(2, 22))
    assert result.exit_code == 1


# --- integers Python refuses; one bad file among good ones --------------------------------------

def _bigint_file(tmp_path: Path) -> Path:
    path = tmp_path / "bigint.jsonl"
    first = TRAIN.splitlines()[0]
    path.write_bytes(first[:-1] + b', "id": ' + b"7" * 5000 + b"}\n" + b"\n".join(TRAIN.splitlines()[1:10]) + b"\n")
    return path


def test_huge_integer_is_a_finding_not_a_crash(tmp_path: Path, ftlint) -> None:
    bigint = _bigint_file(tmp_path)
    good = tmp_path / "good.jsonl"
    good.write_bytes(_train_with_a_broken_last_line())
    proc = ftlint("check", str(bigint), str(good), "--format", "json")
    assert proc.returncode == 1 and b"internal error" not in proc.stderr, proc.stderr
    found = [(Path(d["location"]["path"]).name, d["location"]["line"], d["code"], d["message"])
             for d in json.loads(proc.stdout)["diagnostics"] if d["code"] in ("FT000", "FT001")]
    assert found == [
        ("bigint.jsonl", 1, "FT001", "integer of 5,000 digits: Python's JSON parser (and the loaders built on it) refuses more than 4,300"),
        ("good.jsonl", 301, "FT001", "invalid JSON: Expecting ',' delimiter"),
    ]
    for command in ("conventions", "tokens"):
        proc = ftlint(command, str(bigint), str(good), "--format", "json")
        assert proc.returncode == 0 and b"internal error" not in proc.stderr, (command, proc.stderr)
    totals = json.loads(ftlint("tokens", str(bigint), str(good), "--format", "json").stdout)["files"]
    assert totals[str(bigint)]["records"] == 9 and totals[str(good)]["records"] == 300


def test_one_file_failing_never_costs_the_others_their_findings(tmp_path: Path, monkeypatch) -> None:
    bad, good = tmp_path / "bad.jsonl", tmp_path / "good.jsonl"
    bad.write_bytes(TRAIN)
    good.write_bytes(_train_with_a_broken_last_line())
    infer = conventions.infer

    def failing_on_bad(records, settings):
        records = list(records)
        if len(records) == 150:
            raise RuntimeError("simulated bug")
        return infer(records, settings)

    monkeypatch.setattr(conventions, "infer", failing_on_bad)
    result = api.check([str(bad), str(good)], settings=Settings())
    by_file = {Path(f.path).name: [(d.code, d.location.line) for d in f.diagnostics if d.code in ("FT000", "FT001")] for f in result.files}
    assert by_file == {"bad.jsonl": [("FT000", 1)], "good.jsonl": [("FT001", 301)]}
    message = result.files[0].diagnostics[0].message
    assert "RuntimeError: simulated bug" in message and "not checked" in message
    assert result.exit_code == 1
