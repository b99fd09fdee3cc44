"""The command line end to end, as a subprocess: exit codes, formats, stdin, config, paths."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

CLEAN = b'{"prompt": "Ok lar... Joking wif u oni ->", "completion": " ham"}\n'
BROKEN = b'{"prompt": "Ok lar ->", "completion": " ham"\n'


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    path = tmp_path / "clean.jsonl"
    path.write_bytes(CLEAN * 3)
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(CLEAN + BROKEN + b"\xef\xbb\xbf" + CLEAN)
    return path


def only_reader(*args: str) -> tuple[str, ...]:
    return ("--select", "FT0", *args)


def test_clean_file_exits_0(ftlint, clean):
    proc = ftlint("check", str(clean), *only_reader())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert b"All checks passed!" in proc.stdout


def test_findings_exit_1_with_path_line_column(ftlint, broken):
    proc = ftlint("check", str(broken), *only_reader())
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert f"{broken}:2:45: FT001 [error] invalid JSON: Expecting ',' delimiter" in lines
    assert f"{broken}:3:1: FT007 [error] [*] UTF-8 byte-order mark at the start of the line" in lines
    assert "Traceback" not in proc.stderr.decode()


def test_warnings_and_info_only_exit_0(ftlint, tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(CLEAN.replace(b"\n", b"\r\n") + b"\n" + CLEAN)
    proc = ftlint("check", str(path), *only_reader())
    assert proc.returncode == 0, proc.stdout
    assert b"FT010" in proc.stdout and b"FT005" in proc.stdout


def test_exit_zero(ftlint, broken):
    assert ftlint("check", str(broken), "--exit-zero").returncode == 0


@pytest.mark.parametrize("args", [
    ("check", "missing.jsonl"),
    ("check",),
    ("check", "x.jsonl", "--format", "yaml"),
    ("rule", "FT999"),
    ("nonsense",),
    ("check", "x.jsonl", "--model", "gpt-2000"),
])
def test_usage_and_io_errors_exit_2(ftlint, tmp_path, args):
    proc = ftlint(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.strip()


def test_directory_argument_lints_jsonl_inside(ftlint, tmp_path, clean, broken):
    (tmp_path / "notes.txt").write_text("not a dataset")
    (tmp_path / "clean.removed.jsonl").write_bytes(b"not linted\n")
    proc = ftlint("check", str(tmp_path), "--format", "json", *only_reader())
    files = [f["path"] for f in json.loads(proc.stdout)["files"]]
    assert files == [str(broken), str(clean)]


def test_directory_without_jsonl_is_an_error(ftlint, tmp_path):
    proc = ftlint("check", str(tmp_path))
    assert proc.returncode == 2 and b"no *.jsonl" in proc.stderr


def test_a_quoted_glob_is_expanded_as_a_shell_would(ftlint, tmp_path, clean, broken):
    (tmp_path / "shards").mkdir()
    literal = tmp_path / "shards" / "[1].jsonl"  # a file whose name looks like a pattern is itself
    literal.write_bytes(CLEAN)
    proc = ftlint("check", str(tmp_path / "*.jsonl"), str(literal), "--format", "json", *only_reader())
    assert [f["path"] for f in json.loads(proc.stdout)["files"]] == [str(broken), str(clean), str(literal)]
    proc = ftlint("check", str(tmp_path / "**" / "*.jsonl"), "--format", "json", *only_reader())
    assert [f["path"] for f in json.loads(proc.stdout)["files"]] == [str(broken), str(clean), str(literal)]
    proc = ftlint("check", str(tmp_path / "nothing-*.jsonl"), str(clean))
    assert proc.returncode == 2 and proc.stderr.decode().strip().endswith("nothing-*.jsonl: no file matches this pattern")


def test_stdin_with_filename(ftlint, broken):
    proc = ftlint("check", "-", "--stdin-filename", "data/train.jsonl", *only_reader(), stdin=broken.read_bytes())
    assert proc.returncode == 1
    assert b"data/train.jsonl:2:45: FT001" in proc.stdout


def test_gzip_input(ftlint, tmp_path):
    import gzip

    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(gzip.compress(CLEAN + b'{"prompt": "a", "prompt": "b", "completion": " c"}\n'))
    proc = ftlint("check", str(path), *only_reader())
    assert proc.returncode == 1
    assert f"{path}:2:".encode() in proc.stdout and b"FT008" in proc.stdout


def test_truncated_gzip_is_an_io_error(ftlint, tmp_path):
    import gzip

    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(CLEAN * 1000)[:-20])
    proc = ftlint("check", str(path))
    assert proc.returncode == 2
    assert b"truncated" in proc.stderr or b"ended early" in proc.stderr


def test_json_format_lists_fix_applicability(ftlint, broken):
    report = json.loads(ftlint("check", str(broken), "--format", "json", *only_reader()).stdout)
    bom = next(d for d in report["diagnostics"] if d["code"] == "FT007")
    assert bom["location"] == {"path": str(broken), "line": 3, "column": 1, "pointer": ""}
    assert bom["fix"]["applicability"] == "safe"
    assert bom["severity"] == "error" and bom["name"] == "byte-order-mark"
    assert report["files"][0]["conventions"]["format"] == "prompt-completion"


def test_sarif_format(ftlint, broken):
    sarif = json.loads(ftlint("check", str(broken), "--format", "sarif", *only_reader()).stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run["results"]} <= ids
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 45}


def test_github_format(ftlint, broken):
    out = ftlint("check", str(broken), "--format", "github", *only_reader()).stdout.decode()
    assert f"::error title=FT001 invalid-json,file={broken},line=2,col=45::FT001 invalid JSON" in out


def test_junit_format(ftlint, broken, tmp_path):
    report = tmp_path / "junit.xml"
    ftlint("check", str(broken), "--format", "junit", "-o", str(report), *only_reader())
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "2"


def test_statistics(ftlint, broken):
    out = ftlint("check", str(broken), "--statistics", *only_reader()).stdout.decode()
    assert any(line.split("\t")[1:] == ["FT007", "[*] byte-order-mark"] for line in out.splitlines() if "\t" in line)


def test_select_ignore_and_prefixes(ftlint, broken):
    out = ftlint("check", str(broken), "--select", "FT0", "--ignore", "FT001").stdout
    assert b"FT001" not in out and b"FT007" in out
    out = ftlint("check", str(broken), "--select", "FT2", "--ignore", "FT007").stdout
    assert b"FT007" not in out and b"FT001" in out


def test_selection_never_switches_off_the_engine_errors(ftlint, broken, tmp_path):
    """Unreadable data fails the gate whatever `select` says; only `ignore` (by code or name)
    switches an engine code off, and no plugin can unplug them."""
    proc = ftlint("check", str(broken), "--select", "FT201")
    assert proc.returncode == 1 and b"FT001" in proc.stdout and b"FT007" in proc.stdout
    out = ftlint("check", str(broken), "--select", "FT201", "--ignore", "invalid-json").stdout
    assert b"FT001" not in out and b"FT007" in out
    proc = ftlint("check", str(broken), "--disable-plugin", "reader")
    assert proc.returncode != 0 and b"All checks passed" not in proc.stdout
    rows = json.loads(ftlint("rules", "--format", "json").stdout)
    assert {r["code"]: r["plugin"] for r in rows if r["code"].startswith("FT0")}["FT001"] == "engine"


def test_config_discovery_from_pyproject(ftlint, tmp_path, broken):
    (tmp_path / "pyproject.toml").write_text('[tool.ftlint]\nignore = ["FT007"]\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    out = ftlint("check", str(broken), cwd=sub).stdout
    assert b"FT001" in out and b"FT007" not in out
    out = ftlint("check", str(broken), "--isolated", cwd=sub).stdout
    assert b"FT007" in out


def test_ftlint_toml_and_per_file_ignores(ftlint, tmp_path, broken, clean):
    (tmp_path / "ftlint.toml").write_text('select = ["FT0"]\n[per-file-ignores]\n"broken.jsonl" = ["FT001"]\n')
    out = ftlint("check", str(broken), cwd=tmp_path).stdout
    assert b"FT001" not in out and b"FT007" in out


@pytest.mark.parametrize("config, message", [
    ('[tool.ftlint]\nselct = ["FT0"]\n', b"unknown setting 'selct'"),
    ('[tool.ftlint]\ntask = "regression"\n', b"task must be one of"),
    ('[tool.ftlint]\nselect = [1]\n', b"list of rule codes"),
    ('[tool.ftlint\n', b"pyproject.toml"),
    ('[tool.ftlint.rules.invalid-json]\nx = 1\n', b"has no options"),
])
def test_bad_config_is_a_usage_error(ftlint, tmp_path, clean, config, message):
    (tmp_path / "pyproject.toml").write_text(config)
    proc = ftlint("check", str(clean), cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_rules_table_and_rule_docs(ftlint):
    table = ftlint("rules").stdout.decode()
    assert "FT003   concatenated-objects" in table
    doc = ftlint("rule", "ft003").stdout.decode()
    assert doc.startswith("# FT003 concatenated-objects (error")
    for section in ("## What it does", "## Why", "## Example", "## Fix"):
        assert section in doc
    rows = json.loads(ftlint("rules", "--format", "json").stdout)
    assert all(row["plugin"] for row in rows)


def test_editor_line_format_escapes_control_characters(ftlint, tmp_path):
    path = tmp_path / "evil.jsonl"
    key = b'"\\u001b[2J\\u001b]0;pwned\\u0007\\n"'
    path.write_bytes(b'{"prompt": "a", "prompt": "b", "completion": " c"}\n{' + key + b": 1, " + key + b": 2}\n")
    out = ftlint("check", str(path), "--quiet", *only_reader()).stdout.decode()
    assert "\x1b" not in out and "\x07" not in out
    assert len(out.splitlines()) == 2  # one line per finding: no newline from the data got through
    assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: FT008 ", line) for line in out.splitlines())


def test_never_a_traceback_on_bad_bytes(ftlint, tmp_path):
    samples = [b"", b"\n\n", b"\xff\xfe{\x00", b"{" * 100_000, b"[" * 50 + b"]" * 50, b'{"a": 1e999}',
               b'{"prompt": "\\udc00", "completion": 5}', b"\x00\x01\x02", b'{"prompt": null}\n' * 5,
               '{"prompt": "a\u2028b\u0085c ->", "completion": " d"}\n'.encode()]
    for i, data in enumerate(samples):
        path = tmp_path / f"s{i}.jsonl"
        path.write_bytes(data)
        proc = ftlint("check", str(path))
        assert proc.returncode in (0, 1), (data[:40], proc.stderr)
        assert b"Traceback" not in proc.stderr


def test_line_separators_inside_strings_do_not_split_lines(ftlint, tmp_path):
    path = tmp_path / "u2028.jsonl"
    path.write_bytes('{"prompt": "a\u2028b\u0085c\\u000bd ->", "completion": " e"}\n{"prompt": "x ->"\n'.encode())
    report = json.loads(ftlint("check", str(path), "--format", "json", *only_reader()).stdout)
    assert [d["location"]["line"] for d in report["diagnostics"]] == [2]
    assert report["files"][0]["lines"] == 2


@pytest.mark.parametrize("fmt", ["json", "sarif"])
@pytest.mark.parametrize("folder", ["examples", "empty"])
def test_json_and_sarif_reports_written_in_chunks_are_one_document(monkeypatch, tmp_path, fmt, folder):
    from ftlint import reporters
    from ftlint.config import Settings
    from ftlint.engine import Linter
    from ftlint.plugins import load_plugins

    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "clean.jsonl").write_text('{"prompt": "Hi ->", "completion": " Hello END"}\n')
    where = Path(__file__).parent.parent / "examples" if folder == "examples" else tmp_path / "empty"
    result = Linter(load_plugins().rules, Settings()).run([str(where)])
    assert (len(result.diagnostics) > 5) == (folder == "examples")

    def render(chunk: int) -> str:
        monkeypatch.setattr(reporters, "JSON_CHUNK", chunk)
        out = io.StringIO()
        getattr(reporters, f"render_{fmt}")(result, out, reporters.ReportOptions(version="1"))
        return out.getvalue()

    text = render(2)
    assert text == render(len(result.diagnostics) + 1) == reporters.dumps_json(json.loads(text)) + "\n"
    if fmt == "json":
        assert json.loads(text)["diagnostics"] == [reporters.diagnostic_json(d) for d in result.diagnostics]
    else:
        assert [r["ruleId"] for r in json.loads(text)["runs"][0]["results"]] == [d.code for d in result.diagnostics]
