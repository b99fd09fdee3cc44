"""Coverage-guided fuzzing of `ftlint check` over arbitrary bytes (atheris / libFuzzer).

    pip install atheris && python fuzz/atheris_target.py -atheris_runs=100000

Each input is written to a temporary `.jsonl` file and linted in-process (`ftlint.cli.main`),
once with the JSON reporter and once with the text reporter. `check()` raises AssertionError
when a property ftlint guarantees does not hold (see docs/GUARANTEES.md):

- `main` returns (never raises) 0 or 1 for a readable file; 2 only for a gzip stream that
  cannot be read; never an "internal error";
- no rule crashed (no FT000 diagnostic);
- every diagnostic points at a line of the file (1 <= line <= number of lines, of the
  decompressed bytes for .gz; a final b"\\n" ends the last line, it does not start another; an
  empty file's FT011 is on line 1) and at a column >= 1 within that line (at most its length in
  characters + 1);
- the text report is one line per diagnostic, `path:line:column: CODE ...`, plus summary
  lines, and holds no raw control character (C0, C1, DEL, U+2028/9, bidi controls);
- every output format is valid for its consumer (`check_formats`): JSON and SARIF are strict
  UTF-8 JSON (no NaN), SARIF `uri`s percent-encoded URI references of the path's bytes, JUnit
  well-formed XML whose `tests`/`failures`/`errors` count its testcases (none failing on an
  exit-0 run), github one `::level title=...,file=...,line=N,col=N::message` line per finding;
- `--fix --unsafe-fixes` exits 0 or 1 without an internal error, leaves only the file and
  `<name>.removed.jsonl`, loses nothing (`tests/fixcheck.py`), a second run changes nothing,
  and the fixed file has the same properties (`check_fix`).

A crashing input is saved by libFuzzer as `crash-<sha1>` in the working directory: copy it to
tests/regressions/ and `tests/test_fuzz.py::test_regression_inputs` replays it with `check()`.
tests/test_fuzz.py imports this module (without atheris) for the same properties.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import sys
import tempfile
import zlib
from urllib.parse import unquote_to_bytes
from xml.etree import ElementTree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from fixcheck import lost  # noqa: E402  (what "a fix loses nothing" means, shared with the tests)

# Characters that must never reach a terminal raw (the set ftlint.text escapes).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SUMMARY = re.compile(
    r"(Failed: .*\.|Passed with .*\.|All checks passed!|\[\*\] \d+ fixable with `--fix`\."
    r"|\d+ more fixable with `--fix --unsafe-fixes` .*|Opt-in rules not selected, so not run: .*)"
)


def cache_plugins() -> None:
    """Load the plugins once for all runs (`ftlint.api.registry` keeps them for the process):
    entry-point discovery costs more than linting a small input (about 40 ms of 60)."""
    from ftlint import api

    api.registry(frozenset())


def run(path: str, *args: str) -> tuple[int, str, str]:
    """`ftlint check PATH ARGS` in-process: (exit code, stdout, stderr)."""
    from ftlint.cli import main as ftlint_main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ftlint_main(["check", path, "--isolated", "--jobs", "1", *args])
    return code, out.getvalue(), err.getvalue()


def content_of(data: bytes) -> bytes | None:
    """The bytes ftlint reads: decompressed when gzip, None when not decompressible."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None


def check_report(data: bytes, code: int, report: dict, stderr: str) -> None:
    """The properties of one JSON report of `ftlint check` on `data`."""
    assert "internal error" not in stderr, stderr
    assert "Traceback" not in stderr, stderr
    content = content_of(data)
    assert code in ((0, 1) if content is not None else (0, 1, 2)), (code, stderr)
    if code == 2 or content is None:
        return
    lines = content.split(b"\n")
    if content.endswith(b"\n"):
        lines.pop()  # b"a\n" is one line
    assert report["files"][0]["lines"] == (len(lines) if content else 0), (report["files"][0], len(lines))
    ignored = tuple(f"rule {code} (" for code in os.environ.get("FTLINT_FUZZ_IGNORE_RULES", "").split(",") if code)
    for d in report["diagnostics"]:
        assert d["code"] != "FT000" or (ignored and d["message"].startswith(ignored)), d["message"]
        loc = d["location"]
        assert 1 <= loc["line"] <= max(len(lines), 1), (d, len(lines))  # FT011 (empty file) is on line 1
        text = lines[loc["line"] - 1].decode("utf-8", "replace")
        assert 1 <= loc["column"] <= len(text) + 1, (d, len(text))


def check_text(path: str, stdout: str, n_diagnostics: int) -> None:
    """The text report: no raw control characters, one `path:line:col: CODE [severity]` line per finding."""
    assert not UNSAFE.search(stdout), repr(UNSAFE.search(stdout))
    prefix = re.compile(re.escape(path) + r":\d+:\d+: [A-Z]+\d+ \[(error|warning|info)\] ")
    lines = stdout.splitlines()
    assert len(lines) == stdout.count("\n"), "a report line was split by a character other than \\n"
    findings = [line for line in lines if prefix.match(line)]
    assert len(findings) == n_diagnostics, (len(findings), n_diagnostics)
    for line in lines:
        assert prefix.match(line) or line.startswith(path + ": ") or SUMMARY.fullmatch(line), repr(line)


def check(data: bytes, name: str = "fuzz.jsonl", *args: str) -> dict | None:
    """Lint `data` as a file named `name`; raise AssertionError when a property fails.
    Returns the JSON report (None when the file could not be read: exit 2)."""
    with tempfile.TemporaryDirectory(prefix="ftlint-fuzz-") as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as out:
            out.write(data)
        code, stdout, stderr = run(path, "--format", "json", *args)
        report = strict_json(stdout)
        check_report(data, code, report, stderr)
        text_code, text, text_err = run(path, "--format", "text", *args)
        assert text_code == code, (text_code, code, text_err)
        if code != 2:
            check_text(path, text, len(report["diagnostics"]))
            check_formats(path, code, len(report["diagnostics"]), *args)
    return report if code != 2 else None


def _no_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def strict_json(text: str) -> dict:
    """JSON as a strict consumer reads it: UTF-8 bytes (a lone surrogate cannot be encoded),
    no NaN or Infinity."""
    return json.loads(text.encode("utf-8").decode("utf-8"), parse_constant=_no_constant)


GITHUB_LINE = re.compile(r"::(error|warning|notice) title=[^\n:]*,file=[^\n:,]*,line=\d+,col=\d+::[^\n\r]*")
URI = re.compile(r"(file://)?[A-Za-z0-9_.~/%-]*")


def check_formats(path: str, code: int, n_diagnostics: int, *args: str) -> None:
    """Every other output format of the same check, parsed as its consumer parses it."""
    outputs = {}
    for name in ("sarif", "junit", "github"):
        format_code, outputs[name], stderr = run(path, "--format", name, *args)
        assert format_code == code, (name, format_code, code, stderr)
    sarif = strict_json(outputs["sarif"])
    results = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0" and len(results) == n_diagnostics
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert URI.fullmatch(uri), uri
        assert unquote_to_bytes(uri.removeprefix("file://")) == os.fsencode(path), (uri, path)
    root = ElementTree.fromstring(outputs["junit"].encode("utf-8"))  # expat: well-formed or raises
    cases = root.findall("testsuite/testcase")
    counted = {key: int(root.get(key)) for key in ("tests", "failures", "errors")}
    assert counted == {"tests": len(cases), "failures": len(root.findall("testsuite/testcase/failure")),
                       "errors": len(root.findall("testsuite/testcase/error"))}, counted
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
    assert code != 0 or counted["failures"] == counted["errors"] == 0, counted
    lines = outputs["github"].split("\n")
    assert lines.pop() == "" and len(lines) == n_diagnostics, (len(lines), n_diagnostics)
    for line in lines:
        assert GITHUB_LINE.fullmatch(line), repr(line)


def check_fix(data: bytes, name: str = "fuzz.jsonl") -> None:
    """`--fix --unsafe-fixes` on `data`: exit 0 or 1 (2 only for an unreadable gzip), no internal
    error, nothing left in the folder but the file and `<name>.removed.jsonl`, nothing lost
    (`tests/fixcheck.py`: every string, key and number of the original is in the fixed file or
    its line, byte for byte, in `<name>.removed.jsonl`), a second run changes nothing, and the
    fixed file lints with the same properties."""
    with tempfile.TemporaryDirectory(prefix="ftlint-fuzz-") as folder:
        path = os.path.join(folder, name)
        aside = os.path.join(folder, name.replace(".gz", "").replace(".jsonl", "") + ".removed.jsonl")
        with open(path, "wb") as out:
            out.write(data)
        code, _, stderr = run(path, "--fix", "--unsafe-fixes", "--format", "json")
        assert "internal error" not in stderr and "Traceback" not in stderr, stderr
        assert code in ((0, 1) if content_of(data) is not None else (0, 1, 2)), (code, stderr)
        assert set(os.listdir(folder)) <= {name, os.path.basename(aside)}, os.listdir(folder)
        with open(path, "rb") as fixed:
            after = fixed.read()
        removed = open(aside, "rb").read() if os.path.exists(aside) else b""
        if code != 2:
            missing = lost(content_of(data) or b"", content_of(after) or b"", removed)
            assert missing == [], missing
            run(path, "--fix", "--unsafe-fixes")
            with open(path, "rb") as again:
                assert again.read() == after, "a second --fix changed the file"
            assert (open(aside, "rb").read() if os.path.exists(aside) else b"") == removed, "a second --fix changed <name>.removed.jsonl"
    if code != 2:
        check(after, name)


def test_one_input(data: bytes) -> None:
    check(data)
    check_fix(data)


SEED_DIRS = ("examples", "tests/bad_inputs", "fuzz/seeds")  # not tests/regressions: the suite replays those
SEED_BYTES = 4096  # libFuzzer's default -max_len; longer seeds are cut to it


def seed_corpus() -> str:
    """A temporary corpus folder seeded with the head of every example and bad input, so the
    fuzzer starts from real datasets rather than from nothing."""
    folder = tempfile.mkdtemp(prefix="ftlint-corpus-")
    for seeds in SEED_DIRS:
        where = os.path.join(ROOT, seeds)
        for name in sorted(os.listdir(where)) if os.path.isdir(where) else ():
            source = os.path.join(where, name)
            if os.path.isfile(source) and not name.endswith((".md", ".yaml", ".txt")):
                with open(source, "rb") as src, open(os.path.join(folder, f"{seeds.replace('/', '-')}-{name}"), "wb") as out:
                    out.write(src.read(SEED_BYTES))
    return folder


def main() -> None:
    import atheris

    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(seed_corpus())  # no corpus folder given: start from the seeds

    os.environ.setdefault("FTLINT_DISABLE_PLUGIN_AUTOLOAD", "1")  # built-in rules only
    with atheris.instrument_imports(include=["ftlint", "ftlint_rules"]):
        import ftlint.cli
        import ftlint.fixes  # noqa: F401
        from ftlint.plugins import load_plugins

        load_plugins()  # imports (and so instruments) every built-in rule module
    cache_plugins()
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
