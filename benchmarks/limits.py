"""Time bounds of the resource-limit cases, as ratios to a floor measured in the same run.

    python benchmarks/limits.py            # every case; exit 1 if one is over its bound
    python benchmarks/limits.py --small    # the same cases on small inputs (what tests/test_benchmark_smoke.py runs)

These were wall-clock assertions in tests/test_limits.py and tests/test_rules_tokens.py, which
flake on a shared machine; here each case's CPU time is compared with a floor's on the same
input in the same run (the minimum of `--rounds` runs each): CPU time, because wall time on a
busy machine says more about the neighbours than about ftlint. tests/test_limits.py
keeps what does not depend on the machine's load: exit codes, findings and peak memory.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FTLINT = [sys.executable, "-m", "ftlint"]
MB = 1 << 20

# The parse floor of benchmarks/run.py: read 4 MiB blocks, split lines, orjson each line.
PARSE_FLOOR = """
import sys, orjson
with open(sys.argv[1], "rb") as f:
    rest = b""
    while block := f.read(4 << 20):
        lines = (rest + block).split(b"\\n")
        rest = lines.pop()
        for line in lines:
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                pass
"""

# Reading the bytes only: 4 MiB blocks, newlines counted (the floor of a file that is one huge
# line, which the parse floor would copy quadratically).
READ_FLOOR = """
import sys
with open(sys.argv[1], "rb") as f:
    lines = 0
    while block := f.read(4 << 20):
        lines += block.count(b"\\n")
"""

# FT401 and FT403 on ordinary records (their fast paths: no tokenizing) against parsing the
# same lines with orjson, in one process; prints the two times.
TOKEN_RULES = """
import json, sys, time, orjson
from ftlint.conventions import Conventions
from ftlint.reader import parse_lines
from ftlint.rule import Context
from ftlint_rules.tokens import SpecialToken, TooManyTokens
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
raws = [json.dumps({"prompt": r["prompt"][:300], "completion": r["completion"][:100]}).encode() for r in records]
rounds = int(sys.argv[2])
start = time.perf_counter()
for _ in range(rounds):
    batch = parse_lines(raws, 1, "t", block=b"\\n".join(raws))
parse = time.perf_counter() - start
ctx = Context("t", Conventions(format="prompt-completion"))
rules = [TooManyTokens(), SpecialToken()]
start = time.perf_counter()
for _ in range(rounds):
    for rule in rules:
        assert list(rule.check(batch, ctx)) == []
print(json.dumps({"floor": parse, "measured": time.perf_counter() - start}))
"""


def timed(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, exit code) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), code


def one_long_line(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        out.write(b'{"prompt": "' + b"a" * size + b'", "completion": " b"}\n')
        out.write(b'{"prompt": "Is it good? ->", "completion": " yes"}\n' * 1000)


def blank_lines(path: Path, size: int) -> None:
    path.write_bytes(b"\n" * size + b'{"prompt": "a ->", "completion": " b"}\n')


def deep_nesting(path: Path, size: int) -> None:
    lines = [b'{"prompt": ' + b"[" * size + b"]" * size + b', "completion": " b"}',
             b'{"a": ' + b'{"b": ' * size + b"1" + b"}" * size + b"}", b"[" * size,
             b'{"prompt": "' + b"{" * size + b'", "completion": " b"}']
    path.write_bytes(b"\n".join(lines * 20) + b"\n")


def crlf_lines(path: Path, size: int) -> None:
    path.write_bytes(b"".join(b'{"prompt": "Review %d: crisp sound ->", "completion": " positive"}\r\n' % i for i in range(size)))


def ordinary_records(path: Path, size: int) -> None:
    source = (ROOT / "examples" / "generation.jsonl").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(source[i % len(source)] for i in range(size)) + "\n", encoding="utf-8")


# name -> (data writer, full size, small size, `check` options, bound, what is compared)
CASES: dict[str, tuple[Callable[[Path, int], None], int, int, list[str], float, str]] = {
    "one 200 MB line (FT012)": (one_long_line, 200 * MB, 2 * MB, ["--select", "FT0"], 60.0, "check CPU / read floor CPU"),
    "1,000,000 blank lines (FT005)": (blank_lines, 1_000_000, 20_000, ["--select", "FT0"], 8.0, "check CPU / parse floor CPU"),
    "nesting 100,000 deep (FT001)": (deep_nesting, 100_000, 2_000, [], 40.0, "check CPU / parse floor CPU"),
    "--fix of 20,000 CRLF lines (FT010)": (crlf_lines, 20_000, 2_000, ["--select", "FT0"], 3.0, "fix CPU / check CPU"),
    "FT401 + FT403 fast paths, 2,000 records x 50": (ordinary_records, 2_000, 200, [], 1.0, "rules / parsing the same lines"),
}


def run_case(name: str, folder: Path, small: bool, rounds: int) -> dict:
    write, full, little, options, bound, compared = CASES[name]
    path = folder / "case.jsonl"
    write(path, little if small else full)
    floors, measured = [], []
    for _ in range(rounds):
        if compared.startswith("rules"):
            out = subprocess.run([sys.executable, "-c", TOKEN_RULES, str(path), "50" if not small else "2"],
                                 capture_output=True, text=True, check=True).stdout
            times = json.loads(out)
            floors.append(times["floor"])
            measured.append(times["measured"])
            continue
        check = [*FTLINT, "check", str(path), "--isolated", "-q", "--jobs", "1", "--exit-zero", *options]
        if compared.startswith("fix"):
            wall, floor_cpu, code = timed(check)
            wall, fix_cpu, fix_code = timed([*check, "--fix"])
            assert b"\r" not in path.read_bytes() and code == fix_code == 0, (code, fix_code)
            write(path, little if small else full)  # CRLF again for the next round
            floors.append(floor_cpu)
            measured.append(fix_cpu)
            continue
        floor_script = READ_FLOOR if "read floor" in compared else PARSE_FLOOR
        _, floor, _ = timed([sys.executable, "-c", floor_script, str(path)])
        _, cpu, code = timed(check)
        assert code == 0, f"{name}: exit {code}"
        floors.append(floor)
        measured.append(cpu)
    path.unlink()
    floor, value = min(floors), min(measured)
    ratio = value / max(floor, 1e-6)
    return {"case": name, "compared": compared, "floor_s": round(floor, 3), "measured_s": round(value, 3),
            "ratio": round(ratio, 2), "bound": bound, "ok": ratio <= bound}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="small inputs; report only, never fail on a ratio")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each command; the minimum counts (default 3)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="ftlint-limits-") as folder:
        for name in CASES:
            results.append(run_case(name, Path(folder), args.small, 1 if args.small else args.rounds))
            r = results[-1]
            print(f"{r['case']}: {r['compared']} = {r['measured_s']:.2f} / {r['floor_s']:.2f} s = {r['ratio']:.1f}x "
                  f"(bound {r['bound']:g}x){'' if r['ok'] or args.small else '  OVER'}", flush=True)
    print(json.dumps(results))
    return 0 if args.small or all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
