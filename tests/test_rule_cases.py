"""Runs every YAML rule case in tests/rules/*.yaml through the real CLI.

A case file:

    rule: FT201                # the code under test (only this rule is selected)
    cases:
      - name: appends-separator
        settings:                # optional ftlint.toml settings, rule options under rules:
          separator: "\\n\\n###\\n\\n"
          rules: {too-few-per-class: {min-examples: 3}}
        input: |                 # the JSONL file (or input_bytes: a latin-1 string for raw bytes)
          {"prompt": "a", "completion": " b"}
        validation: |            # optional validation file (for pair rules)
        expect: [2, 5]           # lines reported (in `validation` for pair rules), in order
        fixed: |                 # optional: the file after `check --fix`
        unsafe: true             # optional: use --unsafe-fixes for `fixed`

After a fix, the rule must not fire again and a second --fix must change nothing.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ftlint.cli import main

CASES = sorted(Path(__file__).parent.glob("rules/*.yaml"))


def _load() -> list:
    params = []
    for path in CASES:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            params.append(pytest.param(spec["rule"], case, id=f"{spec['rule']}-{case['name']}"))
    return params


def _content(case: dict, key: str = "input") -> bytes:
    if f"{key}_bytes" in case:
        return case[f"{key}_bytes"].encode("latin-1")
    return case[key].encode("utf-8")


def _toml(settings: dict) -> str:
    """The case's settings as an ftlint.toml (strings, numbers, booleans, [rules.<name>] tables)."""
    top = [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in settings.items() if k != "rules"]
    for name, options in (settings.get("rules") or {}).items():
        top.append(f"[rules.{name}]")
        top += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in options.items()]
    return "\n".join(top) + "\n"


def _check(tmp_path: Path, capsys: pytest.CaptureFixture, code: str, case: dict, *extra: str) -> tuple[int, list]:
    config = tmp_path / "ftlint.toml"
    config.write_text(_toml(case.get("settings") or {}), encoding="utf-8")
    args = ["check", str(tmp_path / "train.jsonl"), "--format", "json", "--select", code, "--config", str(config), *extra]
    if "validation" in case:
        args += ["--validation", str(tmp_path / "valid.jsonl")]
    exit_code = main(args)
    out = capsys.readouterr().out
    return exit_code, (json.loads(out)["diagnostics"] if "--diff" not in extra and out.strip() else [])


@pytest.mark.parametrize(("code", "case"), _load())
def test_rule_case(tmp_path: Path, capsys: pytest.CaptureFixture, code: str, case: dict) -> None:
    (tmp_path / "train.jsonl").write_bytes(_content(case))
    if "validation" in case:
        (tmp_path / "valid.jsonl").write_bytes(_content(case, "validation"))
    exit_code, found = _check(tmp_path, capsys, code, case)
    assert exit_code in (0, 1)
    lines = [d["location"]["line"] for d in found if d["code"] == code]
    assert lines == case["expect"], json.dumps(found, indent=1, ensure_ascii=False)

    if "fixed" in case:
        fix_args = ("--fix", "--unsafe-fixes") if case.get("unsafe") else ("--fix",)
        _check(tmp_path, capsys, code, case, *fix_args)
        target = tmp_path / ("valid.jsonl" if "validation" in case else "train.jsonl")
        assert target.read_text(encoding="utf-8") == case["fixed"]
        _, again = _check(tmp_path, capsys, code, case)
        fixable = ("safe", "unsafe") if case.get("unsafe") else ("safe",)
        assert [d for d in again if d["code"] == code and d["fix"] and d["fix"]["applicability"] in fixable] == []
        _check(tmp_path, capsys, code, case, *fix_args)
        assert target.read_text(encoding="utf-8") == case["fixed"], "a second --fix changed the file"
