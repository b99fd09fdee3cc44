"""The public API (ftlint.api): what plugins and the command line build on."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from ftlint import api

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_clean_file_passes_with_its_conventions():
    result = api.check([str(EXAMPLES / "sentiment.jsonl")])
    assert result.passed and result.exit_code == 0 and result.diagnostics == []
    conventions = result.conventions[str(EXAMPLES / "sentiment.jsonl")]
    assert conventions.separator == "\n\n###\n\n" and conventions.task == "classification"


def test_defects_fail_with_counts():
    result = api.check([str(EXAMPLES / "defects.jsonl")])
    assert not result.passed and result.exit_code == 1
    assert result.counts["FT001"] == 1 and result.errors_found
    assert "FT001" in result.render("text") and '"FT001"' in result.render("json")


def test_missing_file_is_an_error_not_a_pass():
    result = api.check(["no/such/file.jsonl"])
    assert not result.passed and result.exit_code == 2 and result.errors


def test_unknown_model_is_a_config_error():
    with pytest.raises(api.ConfigError):
        api.check([str(EXAMPLES / "sentiment.jsonl")], model="no-such-model")


def test_fix_and_diff(tmp_path):
    data = tmp_path / "d.jsonl"
    shutil.copy(EXAMPLES / "sentiment.jsonl", data)
    data.write_bytes(b"\xef\xbb\xbf" + data.read_bytes())
    diff = io.StringIO()
    assert api.fix([str(data)], diff=diff).passed
    assert diff.getvalue().startswith("---") and data.read_bytes().startswith(b"\xef\xbb\xbf")
    assert api.fix([str(data)]).passed
    assert data.read_bytes() == (EXAMPLES / "sentiment.jsonl").read_bytes()
