"""The command-line habits people bring from ruff and yamllint: --output-format, repeated
--select, --statistics alone, --diff's exit code, rule names, exclude settings and .gitignore in
directory walks, GitLab Code Quality output, a progress bar only on a terminal."""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path

from ftlint import cli

ROOT = Path(__file__).resolve().parent.parent
DEFECTS = str(ROOT / "examples/defects.jsonl")
CLEAN = (ROOT / "tests/data/train_small.jsonl").read_text(encoding="utf-8")


def test_output_format_and_its_alias(ftlint):
    new = ftlint("check", DEFECTS, "--output-format", "json", "--isolated")
    old = ftlint("check", DEFECTS, "--format", "json", "--isolated")
    assert new.returncode == old.returncode == 1
    assert json.loads(new.stdout)["diagnostics"] == json.loads(old.stdout)["diagnostics"]
    assert ftlint("rules", "--output-format", "json").returncode == 0


def test_repeated_select_accumulates(ftlint):
    both = ftlint("check", DEFECTS, "--select", "FT201", "--select", "duplicate-example", "--isolated", "--output-format", "json")
    codes = {d["code"] for d in json.loads(both.stdout)["diagnostics"]}
    assert {c for c in codes if not c.startswith("FT0")} == {"FT201", "FT601"}  # FT0xx: unreadable data, always


def test_statistics_prints_only_the_counts(ftlint):
    done = ftlint("check", DEFECTS, "--statistics", "--isolated")
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 1 and lines
    assert all(line.split("\t")[1].startswith("FT") for line in lines), lines  # no findings, no summary
    full = json.loads(ftlint("check", DEFECTS, "--isolated", "--output-format", "json").stdout)
    assert sum(int(line.split("\t")[0]) for line in lines) == len(full["diagnostics"])
    rows = json.loads(ftlint("check", DEFECTS, "--statistics", "--output-format", "json", "--isolated").stdout)
    assert {r["code"]: r["count"] for r in rows} == full["summary"]
    assert next(r for r in rows if r["code"] == "FT007")["fixable"] is True


def test_diff_exits_1_when_changes_are_pending(ftlint, tmp_path):
    warned = tmp_path / "warned.jsonl"
    warned.write_text(CLEAN + "\n", encoding="utf-8")  # a blank line: a warning with a safe fix
    assert ftlint("check", str(warned), "--select", "FT005", "--isolated").returncode == 0
    pending = ftlint("check", str(warned), "--select", "FT005", "--diff", "--isolated")
    assert pending.returncode == 1 and pending.stdout.startswith(b"---")
    assert warned.read_text(encoding="utf-8") == CLEAN + "\n"  # --diff writes nothing
    clean = tmp_path / "clean.jsonl"
    clean.write_text(CLEAN, encoding="utf-8")
    done = ftlint("check", str(clean), "--select", "FT0", "--diff", "--isolated")
    assert done.returncode == 0 and done.stdout == b""


def test_rule_by_name_or_code(ftlint):
    by_name, by_code = ftlint("rule", "separator-missing"), ftlint("rule", "FT201")
    assert by_name.returncode == 0 and by_name.stdout == by_code.stdout


def test_gitlab_code_quality(ftlint, tmp_path):
    done = ftlint("check", DEFECTS, "--output-format", "gitlab", "--isolated")
    issues = json.loads(done.stdout)
    full = json.loads(ftlint("check", DEFECTS, "--isolated", "--output-format", "json").stdout)["diagnostics"]
    assert len(issues) == len(full)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue, d in zip(issues, full):
        assert issue["check_name"] == d["code"] and d["message"] in issue["description"]
        assert issue["location"] == {"path": d["location"]["path"], "lines": {"begin": d["location"]["line"]}}
        assert issue["severity"] == {"error": "major", "warning": "minor", "info": "info"}[d["severity"]]
    # A finding keeps its fingerprint when lines are added above it.
    path = tmp_path / "d.jsonl"
    path.write_bytes(Path(DEFECTS).read_bytes())
    before = next(i for i in json.loads(ftlint("check", str(path), "--output-format", "gitlab", "--isolated").stdout) if i["check_name"] == "FT007")
    path.write_bytes(CLEAN.splitlines(keepends=True)[0].encode() + Path(DEFECTS).read_bytes())
    after = next(i for i in json.loads(ftlint("check", str(path), "--output-format", "gitlab", "--isolated").stdout) if i["check_name"] == "FT007")
    assert (before["location"]["lines"]["begin"], after["location"]["lines"]["begin"]) == (1, 2)
    assert before["fingerprint"] == after["fingerprint"]


def make_repository(root: Path) -> None:
    for name in ("data/a.jsonl", "data/raw/b.jsonl", "data/tmp/c.jsonl", "data/d.tmp.jsonl", "data/keep.tmp.jsonl"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(CLEAN, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("data/tmp/\n*.tmp.jsonl\n!keep.tmp.jsonl\n")
    (root / "pyproject.toml").write_text('[tool.ftlint]\nextend-exclude = ["data/raw/"]\nselect = ["FT0"]\n')


def checked(done: subprocess.CompletedProcess) -> list[str]:
    return sorted(Path(f["path"]).as_posix() for f in json.loads(done.stdout)["files"])


def test_walks_respect_exclude_and_gitignore_and_say_what_they_skipped(ftlint, tmp_path):
    make_repository(tmp_path)
    done = ftlint("check", "data", "--output-format", "json", cwd=tmp_path)
    assert done.returncode == 0
    assert checked(done) == ["data/a.jsonl", "data/keep.tmp.jsonl"]
    assert b"data: skipped 3 datasets (2 ignored by .gitignore, 1 by the exclude settings)" in done.stderr
    done = ftlint("check", "data", "--output-format", "json", "--no-respect-gitignore", cwd=tmp_path)
    assert checked(done) == ["data/a.jsonl", "data/d.tmp.jsonl", "data/keep.tmp.jsonl", "data/tmp/c.jsonl"]
    assert b"skipped 1 dataset (1 by the exclude settings)" in done.stderr
    # Named on the command line: always checked, a git-ignored folder or file as well.
    assert checked(ftlint("check", "data/tmp", "data/d.tmp.jsonl", "--output-format", "json", cwd=tmp_path)) == \
        ["data/d.tmp.jsonl", "data/tmp/c.jsonl"]
    # A folder holding only skipped datasets is an error that says why, never a silent pass.
    (tmp_path / ".gitignore").write_text("*.jsonl\n")
    done = ftlint("check", "data", cwd=tmp_path)
    assert done.returncode == 2 and b"no *.jsonl files to check: skipped 5 datasets (4 ignored by .gitignore, 1 by the exclude settings)" in done.stderr


def test_exclude_settings_are_checked(ftlint, tmp_path):
    (tmp_path / "ftlint.toml").write_text('exclude = "data"\n')
    done = ftlint("check", DEFECTS, cwd=tmp_path)
    assert done.returncode == 2 and b"exclude must be a list of path patterns" in done.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_main(args: list[str], stderr: io.StringIO) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(out):
        code = cli.main(args)
    return code, out.getvalue()


def test_progress_bar_only_on_a_terminal_and_never_in_the_output(monkeypatch):
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0)  # the real delay: about two seconds
    made = []  # the bars the run made, to read their counts after it (the terminal line is erased)
    real = cli.progress_bar
    monkeypatch.setattr(cli, "progress_bar", lambda: made.append(real()) or made[-1])
    path = ROOT / "tests/data/train_small.jsonl"
    args = ["check", str(path), "--output-format", "json", "--isolated"]
    terminal = Terminal()
    code, out = run_main(args, terminal)
    assert code == 0 and json.loads(out)["files"]  # standard output: the JSON document alone
    assert "ftlint: checking" in terminal.getvalue()
    assert made[0].total == made[0].n == path.stat().st_size  # every byte counted, once
    piped = io.StringIO()
    code, _ = run_main(args, piped)
    assert code == 0 and piped.getvalue() == "" and made[1] is None
