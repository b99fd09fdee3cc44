from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_ftlint(*args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The installed `ftlint` command as a user runs it (a subprocess)."""
    return subprocess.run(
        [sys.executable, "-m", "ftlint", *args], input=stdin, capture_output=True,
        cwd=cwd or ROOT, env={**os.environ, **(env or {})}, timeout=300,
    )


@pytest.fixture
def ftlint():
    return run_ftlint
