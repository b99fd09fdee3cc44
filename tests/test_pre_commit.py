"""The real pre-commit, running this repository's hooks with `try-repo`.

pre-commit installs the hook by pip-installing this repository into a fresh environment. To keep
the test offline, pip gets no index and no dependencies (PIP_NO_INDEX, PIP_NO_DEPS, no build
isolation), and the hook finds its dependencies through PYTHONPATH (this test environment's
site-packages). Everything else is real: the hook manifest, the file matching, the exit codes.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(not (ROOT / ".git").exists(), reason="try-repo needs this project as a git checkout")

BAD = '{"prompt": "a ->", "completion": " b"}{"prompt": "c ->", "completion": " d"}\n'


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=cwd, check=True, capture_output=True)


def try_repo(project: Path, hook: str, home: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
    }
    pre_commit = [sys.executable, "-m", "pre_commit"]
    return subprocess.run([*pre_commit, "try-repo", str(ROOT), hook, "--all-files"], cwd=project, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "train.jsonl").write_text(BAD)
    (project / "data" / "notes.json").write_text(BAD)  # not matched: only *.jsonl files are linted
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "data")
    return project


def test_hook_fails_on_defects_and_names_the_line(project, tmp_path):
    proc = try_repo(project, "ftlint", tmp_path / "home")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "data/train.jsonl:1:" in proc.stdout and "FT003" in proc.stdout
    assert "notes.json" not in proc.stdout


def test_fix_hook_splits_the_line(project, tmp_path):
    proc = try_repo(project, "ftlint-fix", tmp_path / "home")
    assert proc.returncode == 1  # files were modified: pre-commit reports failure
    assert (project / "data" / "train.jsonl").read_text() == BAD.replace("}{", "}\n{")
