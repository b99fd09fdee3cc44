"""Everything `openai tools fine_tunes.prepare_data` did, done by ftlint (issue #18): a real dataset
(240 messages of the UCI SMS Spam Collection, as a `prompt,completion` CSV, the shape prepare_data
users had) taken through each of its cases: the inputs it read, each of its checks, its
interactive questions (through a real pseudo-terminal) and its train/validation split."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas
import pexpect
import pytest

from ftlint import api
from ftlint.cli import main

DATA = Path(__file__).parent / "data"
SMS = DATA / "sms_spam_prepare.csv"
ROWS = list(csv.DictReader(SMS.open(encoding="utf-8", newline="")))  # 240 rows: 204 ham, 36 spam
SCRIPT = Path(sys.executable).parent / "ftlint"


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    code = main(["check", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out)["diagnostics"] if out.strip() else []), err


def _lines(found: list[dict], code: str) -> list[int]:
    return [d["location"]["line"] for d in found if d["code"] == code]


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# --- the inputs it read ---------------------------------------------------------------------------

def _tables(tmp_path: Path) -> dict[str, Path]:
    """The committed CSV in every other format prepare_data (and ftlint) reads."""
    frame = pandas.read_csv(SMS, dtype=str, keep_default_na=False)
    paths = {"csv": SMS, "tsv": tmp_path / "sms.tsv", "xlsx": tmp_path / "sms.xlsx", "parquet": tmp_path / "sms.parquet"}
    frame.to_csv(paths["tsv"], sep="\t", index=False)
    frame.to_excel(paths["xlsx"], index=False)
    frame.to_parquet(paths["parquet"], index=False)
    return paths


@pytest.mark.parametrize("kind", ["csv", "tsv", "xlsx", "parquet"])
def test_every_table_format_is_checked_with_rows_as_lines(tmp_path, capsys, kind):
    path = _tables(tmp_path)[kind]
    code, found, _ = _check(capsys, str(path))
    assert code == 1  # no leading space, no separator: errors
    first = 1 if kind == "parquet" else 2  # the header is line 1; Parquet has none
    assert _lines(found, "FT301") == list(range(first, first + 240))
    duplicates = [n + first for n in (103, 154, 207, 223)]  # records 104, 155, 208 and 224
    assert _lines(found, "FT601") == duplicates
    assert _lines(found, "FT204") == [first] and all(d["fix"] is None or d["fix"]["edits"] == [] for d in found)


def test_a_json_array_reports_the_line_each_object_starts_on(tmp_path, capsys):
    path = tmp_path / "sms.json"
    path.write_text(json.dumps(ROWS[:30], indent=2, ensure_ascii=False), encoding="utf-8")
    code, found, _ = _check(capsys, str(path), "--select", "FT301")
    starts = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == "  {"]
    assert code == 1 and _lines(found, "FT301") == starts
    lines_path = tmp_path / "lines.json"  # a .json file that is JSON Lines, which prepare_data also took
    _jsonl(lines_path, ROWS[:30])
    assert _lines(_check(capsys, str(lines_path), "--select", "FT301")[1], "FT301") == list(range(1, 31))
    one_line = tmp_path / "one.json"  # an array on one line: the records' numbers
    one_line.write_text(json.dumps(ROWS[:30]), encoding="utf-8")
    assert _lines(_check(capsys, str(one_line), "--select", "FT301")[1], "FT301") == list(range(1, 31))


def test_a_directory_walk_includes_tables(tmp_path, capsys):
    _tables(tmp_path)
    result = api.check([str(tmp_path)], select=["FT301"])
    assert sorted(Path(f.path).name for f in result.files) == ["sms.parquet", "sms.tsv", "sms.xlsx"]
    assert all(f.records == 240 for f in result.files)


def test_conventions_tokens_and_split_take_tables_too(capsys):
    assert main(["conventions", str(SMS)]) == 0
    assert "240 sampled records, prompt-completion, classification (2 classes)" in capsys.readouterr().out
    assert main(["tokens", str(SMS)]) == 0 and "240 records" in capsys.readouterr().out
    assert main(["split", str(SMS)]) == 2 and f"`ftlint convert {SMS} --to jsonl` first" in capsys.readouterr().err


def test_convert_writes_utf8_jsonl_with_empty_cells_as_missing_keys(tmp_path, capsys):
    table = tmp_path / "sms.csv"
    table.write_text("prompt,completion,note\nTa \u00e9t\u00e9 \u2013 \u00e7a va?,ham,\nNA,None,kept\n,spam,empty prompt\n", encoding="utf-8")
    assert main(["convert", str(table), "--to", "jsonl"]) == 0
    written = (tmp_path / "sms.jsonl").read_bytes()
    assert written.decode("utf-8").splitlines() == [
        '{"prompt": "Ta \u00e9t\u00e9 \u2013 \u00e7a va?", "completion": "ham"}',  # no ASCII escapes
        '{"prompt": "NA", "completion": "None", "note": "kept"}',  # text, never taken for missing
        '{"completion": "spam", "note": "empty prompt"}',  # an empty cell is a missing key, not "nan"
    ]
    assert "wrote 3 jsonl records" in capsys.readouterr().err


def test_a_jsonl_file_holding_a_table_converts_as_its_ft014_says(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_bytes(SMS.read_bytes())
    code, found, _ = _check(capsys, str(path))
    assert code == 1 and [d["code"] for d in found] == ["FT014"] and f"ftlint convert {path} --to jsonl" in found[0]["message"]
    assert main(["convert", str(path), "--to", "jsonl"]) == 0
    converted = [json.loads(line) for line in (tmp_path / "train.converted.jsonl").read_text(encoding="utf-8").splitlines()]
    assert converted == ROWS


def test_column_names_in_other_case_are_one_finding_and_renamed_on_conversion(tmp_path, capsys):
    table = tmp_path / "sms.csv"
    table.write_text(SMS.read_text(encoding="utf-8").replace("prompt,completion", "Prompt ,Completion", 1), encoding="utf-8")
    code, found, _ = _check(capsys, str(table))
    variants = [d for d in found if d["code"] == "FT105"]
    assert [(d["location"]["line"], d["location"]["pointer"]) for d in variants] == [(2, "/Completion"), (2, "/Prompt ")]
    assert "240 records" in variants[0]["message"] and not _lines(found, "FT101") and not _lines(found, "FT104")
    assert _lines(found, "FT015") == [2] and "FT105" in next(d for d in found if d["code"] == "FT015")["message"]
    assert main(["convert", str(table), "--to", "jsonl"]) == 0
    assert 'renamed key "Prompt " to "prompt" in 240 records (FT105)' in capsys.readouterr().err
    converted = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()]
    assert converted == ROWS


# --- its checks -------------------------------------------------------------------------------------

def _prepared(**change: str) -> list[dict]:
    """The rows as prepare_data would have left them: separator, leading space, stop sequence."""
    return [{"prompt": r["prompt"] + "\n\n###\n\n", "completion": " " + r["completion"]} | change for r in ROWS]


def test_common_prompt_prefix_removed_only_with_unsafe_fixes(tmp_path, capsys):
    records = [{**r, "prompt": "Classify this SMS message as spam or ham: " + r["prompt"]} for r in _prepared()]
    path = _jsonl(tmp_path / "sms.jsonl", records)
    code, found, _ = _check(capsys, str(path), "--select", "FT207")
    assert code == 0 and _lines(found, "FT207") == [1] and "all 240 prompts start with" in found[0]["message"]
    assert main(["check", str(path), "--fix", "--select", "FT207"]) == 0
    assert path.read_text(encoding="utf-8") == "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)  # safe: untouched
    assert main(["check", str(path), "--fix", "--unsafe-fixes", "--select", "FT207"]) == 0
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == _prepared()
    assert len((tmp_path / "sms.removed.jsonl").read_text(encoding="utf-8").splitlines()) == 240  # every original line kept
    capsys.readouterr()


def test_common_completion_prefix_keeps_the_leading_space(tmp_path, capsys):
    records = [{**r, "completion": " Label: " + r["completion"][1:]} for r in _prepared()]
    path = _jsonl(tmp_path / "sms.jsonl", records)
    assert _lines(_check(capsys, str(path), "--select", "FT306")[1], "FT306") == [1]
    main(["check", str(path), "--fix", "--unsafe-fixes", "--select", "FT306"])
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == _prepared()
    capsys.readouterr()


def test_mostly_uppercase_is_lowercased_only_when_selected_by_code(tmp_path, capsys):
    records = [{**r, "prompt": r["prompt"].upper()} for r in _prepared()]
    path = _jsonl(tmp_path / "sms.jsonl", records)
    found = _check(capsys, str(path))[1]
    assert [d["location"]["pointer"] for d in found if d["code"] == "FT910"] == ["/prompt"]
    main(["check", str(path), "--fix", "--unsafe-fixes", "--select", "ALL"])
    assert path.read_text(encoding="utf-8").count("GO UNTIL JURONG POINT") == 1  # ALL is no explicit choice
    main(["check", str(path), "--fix", "--unsafe-fixes", "--select", "mostly-uppercase"])
    assert "go until jurong point" in path.read_text(encoding="utf-8")
    capsys.readouterr()


def test_open_ended_generation_says_so_and_asks_for_no_separator(tmp_path, capsys):
    records = [{"prompt": "", "completion": " " + r["prompt"] + " END"} for r in ROWS]
    code, found, _ = _check(capsys, str(_jsonl(tmp_path / "sms.jsonl", records)))
    codes = {d["code"] for d in found}
    assert "FT112" in codes and not {c for c in codes if c.startswith("FT2")}
    assert "open-ended generation" in next(d for d in found if d["code"] == "FT112")["message"]


@pytest.mark.parametrize(("case", "change", "code", "lines"), [
    ("no separator", lambda rs: [{**r, "prompt": r["prompt"][:-7]} for r in rs], "FT204", [1]),
    ("no leading space", lambda rs: [{**r, "completion": r["completion"][1:]} for r in rs], "FT301", list(range(1, 241))),
    ("empty completion", lambda rs: [{**r, "completion": ""} if i == 9 else r for i, r in enumerate(rs)], "FT103", [10]),
    ("additional column", lambda rs: [{**r, "id": i} for i, r in enumerate(rs)], "FT104", list(range(1, 241))),
    ("missing column", lambda rs: [{"prompt": r["prompt"]} if i == 4 else r for i, r in enumerate(rs)], "FT101", [5]),
    ("duplicates", lambda rs: rs, "FT601", [104, 155, 208, 224]),
    ("separator more than once", lambda rs: [{**r, "prompt": r["prompt"] * 2} if i == 0 else r for i, r in enumerate(rs)], "FT203", [1]),
    ("long example", lambda rs: [{**r, "prompt": " ".join(ROWS[k]["prompt"] for k in range(240)) * 3 + "\n\n###\n\n"} if i == 0 else r
                                 for i, r in enumerate(rs)], "FT401", [1]),
    ("few examples", lambda rs: rs[:8], "FT110", [1]),
])
def test_each_prepare_data_check(tmp_path, capsys, case, change, code, lines):
    path = _jsonl(tmp_path / "sms.jsonl", change(_prepared()))
    assert _lines(_check(capsys, str(path))[1], code) == lines, case


def test_generation_without_a_common_ending_is_told_its_stop_sequence(tmp_path, capsys):
    records = [{"prompt": r["prompt"] + "\n\n###\n\n", "completion": " " + r["prompt"][::-1] + (" END" if i % 10 else "")}
               for i, r in enumerate(ROWS)]
    found = _check(capsys, str(_jsonl(tmp_path / "sms.jsonl", records)))[1]
    assert _lines(found, "FT302") == list(range(1, 241, 10))


# --- its interactive flow and its split -------------------------------------------------------------

def _spawn(*args: str, cwd: Path) -> pexpect.spawn:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "ftlint"]
    return pexpect.spawn(command[0], [*command[1:], *args], cwd=str(cwd), encoding="utf-8", timeout=120,
                         env={**os.environ, "COLUMNS": "200"})


def test_interactive_flow_in_a_terminal_converts_asks_per_rule_and_splits(tmp_path):
    (tmp_path / "sms.csv").write_bytes(SMS.read_bytes())
    child = _spawn("check", "sms.csv", "--fix", "--unsafe-fixes", "--interactive", cwd=tmp_path)
    child.expect(r"sms.csv is not JSON Lines.*Convert it to sms.jsonl\? \[Y/n\]: ")
    child.sendline("")  # Enter is yes
    child.expect(r"FT205 prompt-trailing-space: 12 records to change")
    child.expect(r"sms.jsonl:32: prompt ends with")  # two samples
    child.expect(r"and 10 more.*Apply the FT205 fixes\? \[Y/n\]: ")
    child.sendline("n")
    child.expect(r"FT301 missing-leading-whitespace: 240 records to change.*Apply the FT301 fixes\? \[Y/n\]: ")
    child.sendline("y")
    child.expect(r"FT601 duplicate-example: 4 records to change \(unsafe.*Apply the FT601 fixes\? \[Y/n\]: ")
    child.sendline("y")
    child.expect(r"sms.jsonl is a classifier: split it.*\[Y/n\]: ")
    child.sendline("y")
    child.expect(r"sms.train.jsonl: 212 records; sms.valid.jsonl: 24 records")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # FT204: no separator, which only you can choose
    fixed = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(fixed) == 236 and all(r["completion"].startswith(" ") for r in fixed)
    assert sum(r["prompt"].endswith(" ") for r in fixed) == 12  # FT205 declined
    removed = [json.loads(line) for line in (tmp_path / "sms.removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in removed] == [104, 155, 208, 224] and (tmp_path / "sms.csv").read_bytes() == SMS.read_bytes()


def test_interactive_without_a_terminal_refuses_and_explains_fix(tmp_path):
    path = _jsonl(tmp_path / "sms.jsonl", _prepared())
    before = path.read_bytes()
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "ftlint"]
    proc = subprocess.run([*command, "check", str(path), "--fix", "--interactive"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "needs a terminal" in proc.stderr and "--fix applies the safe fixes" in proc.stderr
    assert path.read_bytes() == before


# --- bad input: a clear error, exit 2, never a traceback -------------------------------------------

BAD = {
    "corrupt.xlsx": (b"PK\x03\x04" + SMS.read_bytes()[:500], "not a readable Excel workbook"),
    "text.xlsx": (SMS.read_bytes(), "not an Excel workbook"),
    "ragged.csv": (b"prompt,completion\nOk lar...,ham\nFree entry, win now,spam\n", "Expected 2 fields in line 3, saw 3"),
    "empty.csv": (b"", "the file is empty: no header row"),
    "jsonl.csv": ((DATA / "train_small.jsonl").read_bytes(), "the content is JSON, not CSV"),
    "latin1.tsv": ("prompt\tcompletion\nCaf\u00e9\tham\n".encode("latin-1"), "not UTF-8 text"),
    "table.parquet": (SMS.read_bytes(), "not a Parquet file"),
    "cut.json": (json.dumps(ROWS[:3]).encode()[:-20], "not valid JSON"),
    "unnamed.csv": (b"prompt,completion,\nOk lar...,ham,x\n", "column 3 holds a value but has no name"),
    "twice.csv": (b"prompt,prompt\nOk lar...,ham\n", "column 'prompt' appears twice"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_tables_are_a_clear_error(tmp_path, name):
    content, message = BAD[name]
    path = tmp_path / name
    path.write_bytes(content)
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "ftlint"]
    for args in (["check", str(path)], ["convert", str(path), "--to", "jsonl"]):
        proc = subprocess.run([*command, *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and str(path) in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_a_workbook_with_two_sheets_of_data_is_refused(tmp_path, capsys):
    path = tmp_path / "two.xlsx"
    frame = pandas.read_csv(SMS, dtype=str)
    with pandas.ExcelWriter(path) as writer:
        frame[:100].to_excel(writer, sheet_name="train", index=False)
        frame[100:].to_excel(writer, sheet_name="more", index=False)
    code, _, err = _check(capsys, str(path))
    assert code == 2 and "2 sheets with data ('train', 'more')" in err


def test_pandas_is_imported_only_for_tables():
    probe = ("import sys; from ftlint.cli import main; main(['check', sys.argv[1], '-q']); "
             "print('pandas' in sys.modules, 'pyarrow' in sys.modules)")
    plain = subprocess.run([sys.executable, "-c", probe, str(DATA / "train_small.jsonl")], capture_output=True, text=True, timeout=120)
    table = subprocess.run([sys.executable, "-c", probe, str(SMS)], capture_output=True, text=True, timeout=120)
    assert plain.stdout.splitlines()[-1] == "False False" and table.stdout.splitlines()[-1].startswith("True")


def test_without_pandas_a_table_gets_one_line_saying_what_to_install():
    probe = "import sys; sys.modules['pandas'] = None; from ftlint.cli import main; sys.exit(main(['check', sys.argv[1]]))"
    proc = subprocess.run([sys.executable, "-c", probe, str(SMS)], capture_output=True, text=True, timeout=120)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ftlint: error")]
    assert proc.returncode == 2 and errors == [f"ftlint: error: {SMS}: reading CSV files needs pandas: pip install 'ftlint[tabular]'"]
