"""Every report is valid for its consumer on any input: JUnit well-formed with counts that
match its testcases, JSON and SARIF strict UTF-8 with file names that are not UTF-8 escaped,
SARIF uris percent-encoded; the text report shows each finding's severity and a summary that
does not read as failed when there are only warnings."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from ftlint import cli

ROOT = Path(__file__).resolve().parent.parent
SENTIMENT = ROOT / "tests" / "data" / "train_small.jsonl"  # real reviews: warnings, no error
# a real record with U+FFFE and U+FFFF in the prompt and a lone surrogate escape in the label
ODD = ('{"prompt": "A gripping, beautifully shot film \ufffe\uffff\\n\\n###\\n\\n", "completion": " positive"}\n'
       '{"prompt": "Dull and far too long.\\n\\n###\\n\\n", "completion": " negative\\udcff"}\n').encode()


def check(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["check", "--isolated", "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def junit(capsys, *args: str) -> tuple[int, ET.Element]:
    code, out, err = check(capsys, "--format", "junit", *args)
    return code, ET.fromstring(out.encode("utf-8"))


def counts(root: ET.Element) -> dict[str, int]:
    return {key: int(root.get(key)) for key in ("tests", "failures", "errors")}


def test_junit_is_well_formed_with_xml_illegal_characters_in_data_and_file_name(capsys, tmp_path):
    path = tmp_path / "reviews \ufffe\uffff\udcff.jsonl"
    path.write_bytes(ODD)
    code, root = junit(capsys, str(path))
    assert code == 1
    suite = root.find("testsuite")
    assert suite.get("name") == str(path).replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff").replace("\udcff", "\\udcff")
    assert counts(root) == {"tests": len(root.findall("testsuite/testcase")),
                            "failures": len(root.findall(".//failure")), "errors": 0}


def test_junit_counts_only_errors_as_failures(capsys):
    """A run that exits 0 with warnings: every finding is a testcase, none fails."""
    code, out, _ = check(capsys, str(SENTIMENT), "--format", "json")
    found = json.loads(out)["diagnostics"]
    assert code == 0 and found and {d["severity"] for d in found} <= {"warning", "info"}
    code, root = junit(capsys, str(SENTIMENT))
    assert code == 0
    assert counts(root) == {"tests": len(found), "failures": 0, "errors": 0}
    assert len(root.findall("testsuite/testcase/system-out")) == len(found)
    assert root.find("testsuite/testcase/system-out").text.startswith(f"{SENTIMENT}:")


def test_junit_counts_match_testcases_with_errors_unread_and_clean_files(capsys, tmp_path):
    defects = ROOT / "examples" / "defects.jsonl"
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03")
    clean = tmp_path / "clean.jsonl"
    clean.write_bytes(SENTIMENT.read_bytes())
    code, root = junit(capsys, str(defects), str(truncated), str(clean), str(tmp_path / "missing.jsonl"), "--select", "FT0")
    assert code == 2
    assert counts(root) == {"tests": len(root.findall("testsuite/testcase")), "failures": len(root.findall(".//failure")),
                            "errors": len(root.findall(".//error"))}
    assert counts(root)["errors"] == 2  # the truncated gzip, the missing file
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert counts(suites[str(clean)]) == {"tests": 1, "failures": 0, "errors": 0}
    assert suites["ftlint"].find("testcase/error").get("message") == f"{tmp_path / 'missing.jsonl'}: no such file or directory"
    for suite in suites.values():
        assert int(suite.get("tests")) == len(suite.findall("testcase"))


def test_json_and_sarif_escape_file_names_that_are_not_utf8(tmp_path):
    """Run as a user runs it: the JSON report is strict UTF-8; the name's byte 0xff is the
    escape \\udcff (Python's surrogateescape: os.fsencode gives the byte back)."""
    path = tmp_path / "data\udcff.jsonl"
    path.write_bytes(ODD)
    for fmt in ("json", "sarif"):
        proc = subprocess.run([sys.executable, "-m", "ftlint", "check", "--isolated", "--format", fmt, path.name],
                              capture_output=True, cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert (b'"data\\udcff.jsonl"' if fmt == "json" else b'"data%FF.jsonl"') in proc.stdout
        report = json.loads(proc.stdout.decode("utf-8"))
        if fmt == "json":
            assert os.fsencode(report["files"][0]["path"]) == b"data\xff.jsonl"
        else:
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in report["runs"][0]["results"]}
            assert uris == {"data%FF.jsonl"}


@pytest.mark.parametrize("name, uri", [
    ("plain.jsonl", "plain.jsonl"),
    ("sub dir/a b#1?.jsonl", "sub%20dir/a%20b%231%3F.jsonl"),
    ("c:100%.jsonl", "c%3A100%25.jsonl"),  # a colon would make the first segment a scheme
    ("caf\u00e9.jsonl", "caf%C3%A9.jsonl"),
])
def test_sarif_uris_are_percent_encoded_relative_references(capsys, tmp_path, monkeypatch, name, uri):
    monkeypatch.chdir(tmp_path)
    Path(name).parent.mkdir(exist_ok=True)
    Path(name).write_bytes(ODD)
    code, out, _ = check(capsys, name, "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {uri}
    assert unquote_to_bytes(uri) == os.fsencode(name)
    code, out, _ = check(capsys, str(tmp_path / name), "--format", "sarif")
    absolute = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert absolute.startswith("file:///")
    assert unquote_to_bytes(absolute.removeprefix("file://")) == os.fsencode(tmp_path / name)


def test_text_report_of_a_name_that_is_not_utf8_to_a_file_and_a_strict_terminal(tmp_path):
    """The name's own bytes, as `ls` prints them, never an encoding error."""
    path = tmp_path / "data\udcff.jsonl"
    path.write_bytes(ODD)
    command = [sys.executable, "-m", "ftlint", "check", "--isolated", path.name]
    proc = subprocess.run(command, capture_output=True, cwd=tmp_path, env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
    assert proc.returncode == 1 and proc.stderr == b"", proc.stderr
    assert proc.stdout.startswith(b"data\xff.jsonl:")
    proc = subprocess.run([*command, "-o", "report.txt"], capture_output=True, cwd=tmp_path)
    assert proc.returncode == 1 and (tmp_path / "report.txt").read_bytes().startswith(b"data\xff.jsonl:")


def test_text_shows_severity_and_a_warnings_only_run_passes(capsys):
    code, out, _ = check(capsys, str(SENTIMENT))
    lines = out.splitlines()
    assert code == 0
    findings = [line for line in lines if line.startswith(f"{SENTIMENT}:") and not line.startswith(f"{SENTIMENT}: ")]
    assert findings and all(" [warning] " in line or " [info] " in line for line in findings)
    assert lines[-1].startswith("Passed with ") and "(warnings and info do not fail the check)" in lines[-1]
    assert "Found" not in out and "Failed" not in out


def test_text_summary_of_errors_and_of_unread_input(capsys, tmp_path):
    code, out, _ = check(capsys, str(ROOT / "examples" / "defects.jsonl"), "--select", "FT0")
    assert code == 1 and out.splitlines()[-2].startswith("Failed: found 8 errors, 1 warning, 1 info.")
    code, out, err = check(capsys, str(SENTIMENT), str(tmp_path / "missing.jsonl"), "--select", "FT0")
    assert code == 2 and "missing.jsonl: no such file or directory" in err
    assert out.splitlines()[-1].startswith("Failed: an input was not read or an option is wrong")
    assert "All checks passed" not in out


def test_unknown_output_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["check", str(SENTIMENT), "--format", "jsonn"])
    assert exit.value.code == 2
    assert "invalid choice: 'jsonn'" in capsys.readouterr().err


def test_json_reports_find_every_unsafe_character_in_orjson_bytes():
    """The byte scan that lets orjson's output through unchanged finds exactly the characters the
    JSON reports escape, alone and among others that share their first bytes."""
    from ftlint.reporters import _JSON_UNSAFE, _holds_unsafe

    for code in [*range(0x7E, 0x800), *range(0x2000, 0x2100)]:
        ch = chr(code)
        for text in (ch, f"a{ch}", f"{ch}\u2027é", f"’…{ch}"):
            assert _holds_unsafe(text.encode()) == bool(_JSON_UNSAFE.search(text)), repr(text)
