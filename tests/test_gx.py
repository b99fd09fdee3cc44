"""`ftlint gx` with the real Great Expectations: the suite written, GX's validation of planted
defects, Data Docs built, the suite reused in a checkpoint of one's own; GX never imported by
`ftlint check`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ftlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
FTLINT = str(Path(sys.executable).parent / "ftlint")  # the ftlint of the environment under test, not the first on PATH


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """train_small.jsonl with a prompt lacking the separator (line 151), a variant spelling of a
    label (152) and a line that is not JSON (153)."""
    folder = tmp_path_factory.mktemp("gx")
    lines = (ROOT / "tests/data/train_small.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(json.dumps({"prompt": "No separator here", "completion": " positive"}) + "\n")
    lines.append(json.dumps({"prompt": "Fine film.\n\n###\n\n", "completion": " Positive"}) + "\n")
    lines.append("{not json\n")
    path = folder / "train.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_suite_validation_and_data_docs(planted):
    folder = planted.parent
    done = subprocess.run([FTLINT, "gx", str(planted), "--suite-out", "suite.json", "--docs", "docs", "--isolated"],
                          capture_output=True, text=True, cwd=folder, timeout=600)
    assert done.returncode == 1, done.stderr  # GX found the planted defects
    out = done.stdout
    assert "FT201 expect_column_values_to_match_regex (prompt) failed: 1 of 152 records, lines 151" in out
    assert "FT504 expect_column_values_to_be_in_set (completion) failed: 1 of 152 records, lines 152" in out
    assert "left 1 line out of the frame: not a JSON object" in out
    assert "GX validation of 152 records failed" in out
    suite = json.loads((folder / "suite.json").read_text())
    by_rule = {e["meta"]["ftlint_rule"]: e for e in suite["expectations"] if e["type"] != "expect_column_values_to_be_of_type"}
    assert by_rule["FT201"]["kwargs"] == {"column": "prompt", "regex": "\\n\\n\\#\\#\\#\\n\\n\\Z"}
    assert by_rule["FT203"]["kwargs"]["regex"] == "(?s)\\n\\n\\#\\#\\#\\n\\n."
    assert by_rule["FT504"]["kwargs"]["value_set"] == [" negative", " positive"]
    assert by_rule["FT401"]["kwargs"] == {"column": "ftlint_tokens", "min_value": 1, "max_value": 2048}
    assert by_rule["FT201"]["severity"] == "critical"
    index = (folder / "docs" / "index.html").read_text()
    assert "ftlint-train" in index
    assert "values must match this regular expression" in (folder / "docs" / "expectations" / "ftlint-train.html").read_text()
    [validation] = (folder / "docs" / "validations").rglob("*.html")
    assert "values must match this regular expression" in validation.read_text()


def test_suite_is_reusable_in_ones_own_checkpoint(planted):
    import great_expectations as gx

    from ftlint_plugins.gx.suite import dataframe

    if not (planted.parent / "suite.json").exists():
        subprocess.run([FTLINT, "gx", str(planted), "--suite-out", "suite.json", "--isolated"], cwd=planted.parent, timeout=600)
    context = gx.get_context(mode="ephemeral")
    batch = context.data_sources.add_pandas("team").add_dataframe_asset("train").add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(gx.ExpectationSuite(**json.loads((planted.parent / "suite.json").read_text())))
    definition = context.validation_definitions.add(gx.ValidationDefinition(data=batch, suite=suite, name="team"))
    clean, left_out = dataframe(str(ROOT / "tests/data/train_small.jsonl"), "davinci")
    assert left_out == 0
    assert definition.run(batch_parameters={"dataframe": clean}).success
    broken, _ = dataframe(str(planted), "davinci")
    assert not definition.run(batch_parameters={"dataframe": broken}).success


def test_check_never_imports_gx_pygls_or_the_plugins():
    code = ("import sys; from ftlint.cli import main; code = main(['check', 'tests/data/train_small.jsonl', '--isolated', '-q']);"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('great_expectations', 'pygls') or m.startswith('ftlint_plugins.gx.')"
            " or m.startswith('ftlint_plugins.lsp.') or m.startswith('ftlint_plugins.report.')); print(heavy); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[]")


def test_without_gx_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "great_expectations", None)
    monkeypatch.delitem(sys.modules, "ftlint_plugins.gx.suite", raising=False)
    assert main(["gx", "tests/data/train_small.jsonl", "--suite-out", "/dev/null"]) == 2
    assert "pip install 'ftlint[gx]'" in capsys.readouterr().err
