"""The README's rule table is generated from the registry, so docs and code never drift."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE = re.compile(r"(<!-- rules-table:[^\n]*-->\n)(.*?)(<!-- end rules-table -->)", re.S)


def generated_table() -> str:
    out = subprocess.run([sys.executable, "-m", "ftlint", "rules", "--format", "markdown"], capture_output=True, text=True, check=True)
    return out.stdout


def test_readme_rule_table_is_current():
    match = TABLE.search(README.read_text(encoding="utf-8"))
    assert match, "README lacks the rules-table markers"
    assert match.group(2) == generated_table(), "run: python tests/test_readme.py (regenerates the table)"


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    README.write_text(TABLE.sub(lambda m: m.group(1) + generated_table() + m.group(3), text), encoding="utf-8")
