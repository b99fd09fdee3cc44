"""Where `ftlint check` spends its CPU time, rule by rule (a development tool).

    python benchmarks/rule_costs.py benchmarks/data/messy-200000-seed1.jsonl
    python benchmarks/rule_costs.py FILE --repeat 5 -- --extend-select FT603,FT613

Runs `ftlint check FILE --jobs 1 --exit-zero -q --format json -o <temporary file>` in this
process `--repeat` times and prints, per rule, the least CPU time its `check` and `observe` took
over the runs (each rule runs on every batch; the engine's own work, parsing and the report are
the rest of the total). A column several rules share (`batch.texts("prompt")`, the raw lines
joined) is computed once, by the first rule that asks, and counted for that rule. CPU time, not
wall time: other processes on the machine slow it less, and the least of several runs is the
least disturbed.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from typing import Any

from ftlint import engine
from ftlint.cli import main as ftlint_main
from ftlint.plugins import load_plugins


def timed_run(path: str, extra: list[str]) -> tuple[float, dict[str, float]]:
    """CPU seconds of one check of `path`, and of each rule's calls within it."""
    spent: collections.Counter[str] = collections.Counter()
    guarded = engine.Linter._guarded

    def timing(rule: Any, line: int, ctx: Any, call: Any, *args: Any) -> Any:
        start = time.process_time()
        try:
            return guarded(rule, line, ctx, call, *args)
        finally:
            spent[rule.code] += time.process_time() - start

    engine.Linter._guarded = staticmethod(timing)  # type: ignore[method-assign]
    handle, report = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    start = time.process_time()
    try:
        ftlint_main(["check", path, "--jobs", "1", "--exit-zero", "-q", "--format", "json", "-o", report, *extra])
    except SystemExit:
        pass
    finally:
        engine.Linter._guarded = guarded  # type: ignore[method-assign]
        os.unlink(report)
    return time.process_time() - start, dict(spent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--repeat", type=int, default=3)
    args, extra = parser.parse_known_args()  # the rest: more `ftlint check` options, after --
    extra = [a for a in extra if a != "--"]
    names = {code: rule.name for code, rule in load_plugins().rules.items()}  # and import time is not a rule's
    totals: list[float] = []
    least: dict[str, float] = {}
    for _ in range(args.repeat):
        total, spent = timed_run(args.file, extra)
        totals.append(total)
        for code, seconds in spent.items():
            least[code] = min(least.get(code, seconds), seconds)
    rules = sum(least.values())
    total = min(totals)
    print(f"{args.file}: check {total:.2f} CPU s (least of {args.repeat}), rules {rules:.2f} s, the rest {total - rules:.2f} s\n")
    print("| rule | name | CPU s | share of check |\n|---|---|---:|---:|")
    for code, seconds in sorted(least.items(), key=lambda item: -item[1]):
        print(f"| {code} | {names.get(code, '')} | {seconds:.3f} | {seconds / total:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
