from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


SCRIPT = Path(sys.executable).parent / "ftlint"


def run_ftlint(*args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The installed `ftlint` command as a user runs it (a subprocess)."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "ftlint"]
    return subprocess.run(
        [*command, *args], input=stdin, capture_output=True,
        cwd=cwd or ROOT, env={**os.environ, **(env or {})}, timeout=300,
    )


@pytest.fixture
def ftlint():
    return run_ftlint
