"""`python -m ftlint`. Python puts the working directory first on sys.path for -m; take it off
so that no module in the linted folder (e.g. a stray ftlint_rules/) is ever imported."""
import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from ftlint.cli import run

if __name__ == "__main__":  # not when a worker process imports it
    run()
