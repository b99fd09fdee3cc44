"""`ftlint sample FILE -n 50 [--seed N]`: a reproducible sample of records to read.

OpenAI's guide asks you to read your data for inaccurate or offensive examples, a random sample
when it is large. The sample is drawn with a seed (the same seed gives the same records),
stratified by class for classifiers (each class in proportion, every class at least once) and
weighted toward records with findings (half of the sample, when there are that many). Records
are printed with their line numbers and findings, the separator and stop sequence marked, and
whitespace and control characters made visible.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from typing import Any, Iterator

from ftlint import api
from ftlint.conventions import Conventions, label_key
from ftlint.hookspecs import hookimpl
from ftlint.reader import open_binary, parse_lines, iter_raw_lines
from ftlint.text import escape_controls

MARK_OPEN, MARK_CLOSE = "⟦", "⟧"  # around the separator and the stop sequence


def _records(path: str, max_line_bytes: int) -> Iterator[tuple[int, bytes, Any]]:
    """(line, raw bytes, parsed record or None) for every line of the file that is not blank."""
    line = 1
    with open_binary(path) as stream:
        for raws in iter_raw_lines(stream, max_line_bytes):
            batch = parse_lines(raws, line, path, max_line_bytes)
            yield from zip(batch.lines, batch.raws, batch.values)
            line += len(raws)


def draw(lines_by_stratum: dict[str, list[int]], flagged: set[int], size: int, seed: int) -> list[int]:
    """`size` line numbers: strata in proportion (each at least once), half from flagged lines
    where there are enough of them; deterministic for a seed."""
    rng = random.Random(seed)
    total = sum(len(lines) for lines in lines_by_stratum.values())
    if size >= total:
        return sorted(line for lines in lines_by_stratum.values() for line in lines)
    chosen: list[int] = []
    strata = sorted(lines_by_stratum)
    quotas = {s: max(1, round(size * len(lines_by_stratum[s]) / total)) for s in strata}
    while sum(quotas.values()) > size:
        largest = max(strata, key=lambda s: quotas[s])
        quotas[largest] -= 1
    for stratum in strata:
        lines = lines_by_stratum[stratum]
        bad = [line for line in lines if line in flagged]
        good = [line for line in lines if line not in flagged]
        from_bad = min(len(bad), (quotas[stratum] + 1) // 2)
        picked = rng.sample(bad, from_bad)
        picked += rng.sample(good, min(len(good), quotas[stratum] - from_bad))
        if len(picked) < quotas[stratum]:
            rest = [line for line in bad if line not in picked]
            picked += rng.sample(rest, min(len(rest), quotas[stratum] - len(picked)))
        chosen += picked
    return sorted(chosen)


def _quoted(text: str) -> str:
    return escape_controls(text.replace("\\", "\\\\").replace('"', '\\"'))


def _visible(text: str, conventions: Conventions, key: str) -> str:
    """The text in quotes (so leading and trailing spaces show), its separator or stop sequence
    marked, control characters escaped."""
    affix = conventions.separator if key == "prompt" else conventions.stop if key == "completion" else None
    if affix and text.endswith(affix):
        return '"' + _quoted(text[: -len(affix)]) + MARK_OPEN + _quoted(affix) + MARK_CLOSE + '"'
    return '"' + _quoted(text) + '"'


def render(raw: bytes, record: Any, conventions: Conventions) -> list[str]:
    """The lines that show one record: its fields or messages, one per line."""
    if not isinstance(record, dict):
        return ["  (not a usable JSON object) " + escape_controls(raw.decode("utf-8", "replace"))]
    shown = []
    for key, value in record.items():
        if key == "messages" and isinstance(value, list):
            for message in value:
                if isinstance(message, dict):
                    role = escape_controls(str(message.get("role", "?")))
                    content = message.get("content")
                    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
                    shown.append(f"  {role:>9}: {_visible(text, conventions, role)}")
        elif isinstance(value, str):
            shown.append(f"  {escape_controls(key):>9}: {_visible(value, conventions, key)}")
        else:
            shown.append(f"  {escape_controls(key):>9}: {escape_controls(json.dumps(value, ensure_ascii=False))}")
    return shown


def run(args: argparse.Namespace) -> int:
    settings = api.load_config(args.config, isolated=args.isolated)
    result = api.check([args.file], settings=settings, model=args.model)
    if result.errors:
        for message in result.errors:
            print(f"ftlint: error: {escape_controls(message)}", file=sys.stderr)
        return 2
    if args.n < 1:
        print("ftlint: error: -n must be at least 1", file=sys.stderr)
        return 2
    conventions = next(iter(result.conventions.values()))
    findings: dict[int, list[str]] = defaultdict(list)
    for d in result.diagnostics:
        findings[d.location.line].append(f"{d.code} {d.name}")
    classify = conventions.task == "classification"
    strata: dict[str, list[int]] = defaultdict(list)
    for line, _, record in _records(args.file, settings.max_line_bytes):
        completion = record.get("completion") if isinstance(record, dict) else None
        strata[label_key(completion) if classify and isinstance(completion, str) else ""].append(line)
    chosen = draw(strata, set(findings), args.n, args.seed)
    wanted = set(chosen)
    records = {line: (raw, record) for line, raw, record in _records(args.file, settings.max_line_bytes) if line in wanted}
    if args.format == "json":
        rows = [{"line": line, "findings": findings.get(line, []), "record": records[line][1],
                 "raw": records[line][0].decode("utf-8", "replace")} for line in chosen]
        print(json.dumps({"file": result.files[0].path, "seed": args.seed, "sample": rows}, ensure_ascii=False, indent=2))
        return 0
    total = sum(len(lines) for lines in strata.values())
    print(escape_controls(f"{result.files[0].path}: {len(chosen)} of {total:,} records (seed {args.seed}); "
                          f"{MARK_OPEN}…{MARK_CLOSE} marks the separator and the stop sequence"))
    for line in chosen:
        notes = f"  [{', '.join(findings[line])}]" if line in findings else ""
        print(f"\nline {line}{notes}")
        print("\n".join(render(*records[line], conventions)))
    return 0


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("sample", help="print a reproducible sample of records to read (stratified, weighted toward findings)")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("-n", type=int, default=50, help="records to show (default: 50)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same sample (default: 0)")
    parser.add_argument("--model", help="model for the token rules (default: from config)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--config", metavar="FILE")
    parser.add_argument("--isolated", action="store_true")
    parser.set_defaults(handler=run)
