"""Real-world broken files and the planted-defect examples, each pinned to its expected findings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ftlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "bad_inputs"
EXPECTED_BAD = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))
# Findings about the whole dataset (size, class balance, conventions), reported on a first line.
DATASET_LEVEL = {"FT110", "FT111", "FT204", "FT402", "FT501", "FT502", "FT503", "FT505"}


def findings(capsys: pytest.CaptureFixture, *args: str) -> list[dict]:
    code = main(["check", *args, "--format", "json", "--isolated", "--exit-zero"])
    assert code == 0
    return json.loads(capsys.readouterr().out)["diagnostics"]


@pytest.mark.parametrize("name", sorted(EXPECTED_BAD))
def test_bad_input(capsys, name):
    found = findings(capsys, str(BAD / name))
    got = {(d["location"]["line"], d["code"]) for d in found}
    expected = EXPECTED_BAD[name] or []
    reader_expected = {(e["line"], e["code"]) for e in expected if e["code"].startswith("FT0")}
    assert {g for g in got if g[1].startswith("FT0")} == reader_expected
    assert {(e["line"], e["code"]) for e in expected} <= got
    columns = {(d["location"]["line"], d["code"]): d["location"]["column"] for d in found}
    for e in expected:
        if "column" in e:
            assert columns[(e["line"], e["code"])] == e["column"], e


@pytest.mark.parametrize("name", ["defects", "defects_generation"])
def test_planted_defects(capsys, name):
    spec = yaml.safe_load((ROOT / "examples" / f"{name}.expected.yaml").read_text(encoding="utf-8"))
    found = [d for d in findings(capsys, str(ROOT / "examples" / f"{name}.jsonl")) if d["code"] not in DATASET_LEVEL]
    by_line: dict[int, set[str]] = {}
    for d in found:
        by_line.setdefault(d["location"]["line"], set()).add(d["code"])
    for planted in spec["planted"]:
        line, codes = planted["line"], set(planted["codes"])
        got = by_line.pop(line, set())
        assert codes <= got <= codes | set(planted.get("may_also", [])), (line, planted.get("planted"), got)
        for code, column in (planted.get("columns") or {}).items():
            assert any(d["location"]["column"] == column for d in found if d["code"] == code and d["location"]["line"] == line)
    assert not set(by_line) & set(spec["clean_lines"]), {k: v for k, v in by_line.items() if k in spec["clean_lines"]}


@pytest.mark.parametrize("name", ["sentiment", "spam", "generation", "chat"])
def test_clean_examples_are_silent(capsys, name):
    assert findings(capsys, str(ROOT / "examples" / f"{name}.jsonl")) == []
