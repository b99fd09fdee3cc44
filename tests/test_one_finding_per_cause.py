"""One cause, one finding (issue #26): a convention used throughout the file is reported once
with one fix for every line; a file that mixes conventions keeps a finding per line. On real
reviews (examples/sentiment.jsonl)."""
from __future__ import annotations

import json
from pathlib import Path

from ftlint import cli

ROOT = Path(__file__).resolve().parent.parent
LINES = (ROOT / "examples" / "sentiment.jsonl").read_bytes().splitlines()[:120]


def findings(capsys, path: Path, *args: str) -> list[dict]:
    cli.main(["check", str(path), "--isolated", "--format", "json", "--select", "FT0", *args])
    return json.loads(capsys.readouterr().out)["diagnostics"]


def test_crlf_throughout_is_one_finding_whose_fix_converts_every_line(capsys, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(line + b"\r\n" for line in LINES))
    (found,) = findings(capsys, path)
    assert found["code"] == "FT010" and found["location"]["line"] == 1
    assert found["message"] == "CRLF line endings throughout (120 lines)"
    assert cli.main(["check", str(path), "--isolated", "--fix", "--select", "FT0"]) == 0
    assert path.read_bytes() == b"".join(line + b"\n" for line in LINES)


def test_a_few_crlf_lines_are_reported_each(capsys, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(line + (b"\r\n" if i in (4, 40) else b"\n") for i, line in enumerate(LINES)))
    assert [(d["code"], d["location"]["line"]) for d in findings(capsys, path)] == [("FT010", 5), ("FT010", 41)]


def test_a_blank_line_after_every_record_is_one_finding(capsys, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(line + b"\n\n" for line in LINES))
    (found,) = findings(capsys, path)
    assert found["code"] == "FT005" and found["location"]["line"] == 2
    assert found["message"] == "a blank line after every record (120 blank lines)"
    assert cli.main(["check", str(path), "--isolated", "--fix", "--select", "FT0"]) == 0
    assert path.read_bytes() == b"".join(line + b"\n" for line in LINES)
    assert not path.with_name("train.removed.jsonl").exists()


def test_stray_blank_lines_are_reported_each(capsys, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(line + (b"\n\n" if i in (3, 9) else b"\n") for i, line in enumerate(LINES)))
    assert [(d["code"], d["location"]["line"]) for d in findings(capsys, path)] == [("FT005", 5), ("FT005", 12)]
