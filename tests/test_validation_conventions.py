"""A validation file is checked with its training file's conventions, and where its own differ
that is one FT612 (issue #26). Real reviews (examples/sentiment.jsonl); the validation file
rewritten as in the real pair this comes from: its 21 prompts share a phrase before " ->"."""
from __future__ import annotations

import json
from pathlib import Path

from ftlint import cli

ROOT = Path(__file__).resolve().parent.parent
REVIEWS = [json.loads(line) for line in (ROOT / "examples" / "sentiment.jsonl").read_text(encoding="utf-8").splitlines()]


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def check(capsys, train: Path, valid: Path) -> list[dict]:
    cli.main(["check", str(train), "--validation", str(valid), "--isolated", "--format", "json"])
    return json.loads(capsys.readouterr().out)["diagnostics"]


def test_validation_file_uses_the_training_conventions_and_says_where_its_own_differ(capsys, tmp_path):
    train = write(tmp_path / "train.jsonl", REVIEWS[:300])
    rewritten = [{"prompt": r["prompt"].replace("\n\n###\n\n", " about The Rise of Teotihuacán ->"), "completion": r["completion"]}
                 for r in REVIEWS[300:321]]
    valid = write(tmp_path / "valid.jsonl", rewritten)
    found = [d for d in check(capsys, train, valid) if d["location"]["path"] == str(valid)]
    (mismatch,) = [d for d in found if d["code"] == "FT612"]
    assert 'its prompts end with the separator "about The Rise of Teotihuacán ->", the training file\'s is "\\n\\n###\\n\\n"' in mismatch["message"]
    # checked with the training separator: every prompt lacks it, none is judged by its own
    assert sum(d["code"] in ("FT201", "FT202") for d in found) == 21


def test_labels_spelled_otherwise_are_named_once(capsys, tmp_path):
    train = write(tmp_path / "train.jsonl", REVIEWS[:300])
    valid = write(tmp_path / "valid.jsonl", [{**r, "completion": r["completion"].strip()} for r in REVIEWS[300:330]])
    found = check(capsys, train, valid)
    (mismatch,) = [d for d in found if d["code"] == "FT612"]
    assert (mismatch["location"]["path"], mismatch["location"]["line"]) == (str(valid), 1)
    assert "labels spelled differently: " in mismatch["message"] and 'where the training file has " positive"' in mismatch["message"]


def test_a_validation_file_written_like_its_training_file_has_no_mismatch(capsys, tmp_path):
    train = write(tmp_path / "train.jsonl", REVIEWS[:300])
    valid = write(tmp_path / "valid.jsonl", REVIEWS[300:330])
    assert [d for d in check(capsys, train, valid) if d["code"] == "FT612"] == []
