"""The README's getting-started promises: the Python versions it names are those the package
declares, and the pre-commit snippet pins the release tag of this version."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from ftlint import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_names_the_supported_python_and_a_virtual_environment():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.10" and "Python 3.10 or newer" in README
    assert "python3 -m venv .venv && . .venv/bin/activate" in README


def test_pre_commit_rev_is_this_versions_tag():
    assert re.search(r"^    rev: v(\S+)$", README, re.MULTILINE).group(1) == __version__
