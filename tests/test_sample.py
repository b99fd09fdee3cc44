"""`ftlint sample`: reproducible, stratified by class, weighted toward records with findings."""
from __future__ import annotations

import json
import re
from pathlib import Path

from ftlint.cli import main
from ftlint.sample import draw

EXAMPLES = Path(__file__).parent.parent / "examples"


def _sample(capsys, *args: str) -> dict:
    assert main(["sample", *args, "--format", "json", "--isolated"]) == 0
    return json.loads(capsys.readouterr().out)


def test_same_seed_same_sample_other_seed_other_sample(capsys):
    path = str(EXAMPLES / "sentiment.jsonl")
    first = [r["line"] for r in _sample(capsys, path, "-n", "20", "--seed", "7")["sample"]]
    again = [r["line"] for r in _sample(capsys, path, "-n", "20", "--seed", "7")["sample"]]
    other = [r["line"] for r in _sample(capsys, path, "-n", "20", "--seed", "8")["sample"]]
    assert first == again and first != other and len(first) == 20


def test_stratified_by_class(capsys):
    rows = _sample(capsys, str(EXAMPLES / "spam.jsonl"), "-n", "40")["sample"]
    labels = [r["record"]["completion"] for r in rows]
    assert labels.count(" ham") == 25 and labels.count(" spam") == 15  # 250:150 in the file


def test_weighted_toward_findings(capsys):
    rows = _sample(capsys, str(EXAMPLES / "defects.jsonl"), "-n", "10", "--seed", "1")["sample"]
    flagged = [r for r in rows if r["findings"]]
    assert len(flagged) >= 5  # half the sample, though most records of the file are clean


def test_every_class_at_least_once():
    chosen = draw({"a": list(range(1, 1000)), "b": [1000]}, set(), 5, seed=0)
    assert 1000 in chosen and len(chosen) == 5


def test_text_shows_separator_leading_space_and_escapes(capsys):
    assert main(["sample", str(EXAMPLES / "sentiment.jsonl"), "-n", "1", "--isolated"]) == 0
    out = capsys.readouterr().out
    assert '⟦\\n\\n###\\n\\n⟧"' in out and 'completion: " ' in out
    assert re.search(r"^line \d+$", out, re.M)


def test_unreadable_file_and_bad_count(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "missing.jsonl"), "--isolated"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["sample", str(EXAMPLES / "spam.jsonl"), "-n", "0", "--isolated"]) == 2
