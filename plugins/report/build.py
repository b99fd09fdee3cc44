"""What the report shows, gathered through the public API (`api.check`, `api.dataset_stats`),
and the HTML it is written as: inline SVG charts, one inline style sheet, one inline script
(the findings filter). Every chart carries its numbers as data attributes, so what is drawn can
be checked in the DOM."""
from __future__ import annotations

import argparse
import html
import math
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources

from ftlint import Diagnostic, Severity, __version__, api

TOKEN_BINS = 40
MAX_ROWS = 5_000  # findings listed one by one; the counts by rule are always complete
MAX_CLUSTERS = 40  # clusters drawn (the largest); all are counted
PER_CLASS = 100  # the guide: "at least ~100 examples per class"


@dataclass
class Cluster:
    kind: str  # the rule's name: duplicate-example, conflicting-completions, near-duplicate...
    lines: list[int]


@dataclass
class Report:
    path: str
    validation: str | None
    result: api.CheckResult
    stats: object  # ftlint.stats.DatasetStats
    per_example: list[int]  # tokens of each example
    clusters: list[Cluster] = field(default_factory=list)
    leaked: list[tuple[int, list[int]]] = field(default_factory=list)  # validation line -> training lines
    validation_records: int = 0


def write_report(args: argparse.Namespace) -> int:
    for path in [args.path] + ([args.validation] if args.validation else []):
        if not os.path.isfile(path):
            print(f"ftlint: error: {path}: the report needs a dataset file (not found, or not a file)", file=sys.stderr)
            return 2
    settings = api.load_config(args.config, isolated=args.isolated)
    result = api.check([args.path], validation=args.validation, settings=settings, model=args.model)
    for message in result.errors:
        print(f"ftlint: error: {message}", file=sys.stderr)
    if result.errors:
        return 2
    stats = api.dataset_stats(args.path, model=args.model, settings=settings)
    per_example = list(api.example_tokens(args.path, model=stats.model, settings=settings).values())
    report = gather(args.path, args.validation, result, stats, per_example)
    page = render(report)
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(page)
    print(f"{args.output}: report on {args.path} ({len(result.diagnostics):,} findings)", file=sys.stderr)
    return 0


def gather(path: str, validation: str | None, result: api.CheckResult, stats: object, per_example: list[int]) -> Report:
    report = Report(path, validation, result, stats, per_example)
    train = result.files[0]
    groups: dict[tuple[str, int], int] = {}  # (kind, line) -> cluster index
    for d in train.diagnostics:
        if not d.code.startswith("FT6") or not d.related:
            continue
        lines = [d.location.line] + [r.line for r in d.related if r.path == train.path]
        found = {groups[(d.name, n)] for n in lines if (d.name, n) in groups}
        if found:
            keep = min(found)
            for other in sorted(found - {keep}, reverse=True):
                report.clusters[keep].lines += report.clusters[other].lines
                report.clusters[other].lines = []
        else:
            keep = len(report.clusters)
            report.clusters.append(Cluster(d.name, []))
        report.clusters[keep].lines += lines
        for n in report.clusters[keep].lines:
            groups[(d.name, n)] = keep
    report.clusters = sorted((Cluster(c.kind, sorted(set(c.lines))) for c in report.clusters if c.lines),
                             key=lambda c: (-len(c.lines), c.lines[0]))
    if validation is not None and len(result.files) > 1:
        valid = result.files[1]
        report.validation_records = valid.records
        leaks: dict[int, list[int]] = defaultdict(list)
        for d in valid.diagnostics:
            if d.code.startswith("FT6") and any(r.path == train.path for r in d.related):
                leaks[d.location.line] += [r.line for r in d.related if r.path == train.path]
        report.leaked = sorted(leaks.items())
    return report


# --- HTML ----------------------------------------------------------------------------------------

def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def render(report: Report) -> str:
    result, stats = report.result, report.stats
    train = result.files[0]
    counts = Counter(d.severity for d in result.diagnostics)
    verdict = "passed" if result.passed else "failed"
    parts = [
        f"<header><h1>ftlint report: {esc(report.path)}</h1>",
        f'<p class="verdict {verdict}" data-verdict="{verdict}">Check {verdict}: {counts[Severity.ERROR]:,} errors, '
        f"{counts[Severity.WARNING]:,} warnings, {counts[Severity.INFO]:,} info</p>",
        f"<p>{train.records:,} records, {esc(train.conventions.format)}"
        + (f", {esc(train.conventions.task)}" if train.conventions.task else "")
        + (f"; validation file {esc(report.validation)} ({report.validation_records:,} records)" if report.validation else "")
        + f"; model {esc(stats.model)}. ftlint {esc(__version__)}.</p></header>",
        '<div class="charts">',
        tokens_chart(stats, report.per_example),
        classes_chart(stats),
        clusters_chart(report.clusters),
        overlap_chart(report),
        cost_panel(stats),
        "</div>",
        findings(result.diagnostics),
    ]
    style = resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")
    script = resources.files(__package__).joinpath("report.js").read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>ftlint report: {esc(os.path.basename(report.path))}</title>"
        # No network: a policy that refuses anything not inline, so a report never fetches.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f"<style>{style}</style></head><body>{''.join(parts)}<script>{script}</script></body></html>\n"
    )


def bar_chart(name: str, title: str, bars: list[tuple[str, int, str]], *, line: tuple[float, str] | None = None,
              note: str = "", vertical_line_at: tuple[float, str] | None = None) -> str:
    """An SVG bar chart; bars are (label, count, css class). `line`: a horizontal reference
    line at a count; `vertical_line_at`: a vertical one at that many bar widths from the left."""
    width, height, left, bottom = 640, 240, 48, 40
    top = max([n for _, n, _ in bars] + [int(line[0]) if line else 0, 1])
    slot = (width - left - 8) / max(len(bars), 1)
    scale = (height - bottom - 16) / top
    out = [f'<figure class="chart"><figcaption>{esc(title)}</figcaption>',
           f'<svg data-chart="{name}" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">',
           f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}"/>',
           f'<text class="tick" x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>',
           f'<text class="tick" x="{left - 4}" y="{height - bottom - top * scale + 4:.1f}" text-anchor="end">{top:,}</text>']
    for i, (label, count, css) in enumerate(bars):
        x, h = left + i * slot + 1, count * scale
        out.append(f'<rect class="bar {css}" data-label="{esc(label)}" data-count="{count}" x="{x:.1f}" '
                   f'y="{height - bottom - h:.1f}" width="{max(slot - 2, 1):.1f}" height="{h:.1f}"><title>{esc(label)}: {count:,}</title></rect>')
        if len(bars) <= 24:
            out.append(f'<text class="label" x="{x + slot / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle">'
                       f'{esc(label[:max(int(slot / 6.5), 3)])}</text>')
    if len(bars) > 24:  # too many to label each: the first and the last
        out.append(f'<text class="label" x="{left}" y="{height - bottom + 14}">{esc(bars[0][0])}</text>'
                   f'<text class="label" x="{width}" y="{height - bottom + 14}" text-anchor="end">{esc(bars[-1][0])}</text>')
    if line is not None:
        y = height - bottom - line[0] * scale
        out.append(f'<line class="reference" data-value="{line[0]}" x1="{left}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}"/>'
                   f'<text class="reference-label" x="{width - 4}" y="{y - 4:.1f}" text-anchor="end">{esc(line[1])}</text>')
    if vertical_line_at is not None:
        x = left + vertical_line_at[0] * slot
        out.append(f'<line class="reference" data-value="{vertical_line_at[0]}" x1="{x:.1f}" y1="8" x2="{x:.1f}" y2="{height - bottom}"/>'
                   f'<text class="reference-label" x="{x + 4:.1f}" y="18">{esc(vertical_line_at[1])}</text>')
    out.append("</svg>")
    if note:
        out.append(f"<p>{note}</p>")
    out.append("</figure>")
    return "".join(out)


def tokens_chart(stats: object, per_example: list[int]) -> str:
    """A histogram of tokens per example in up to TOKEN_BINS equal bins, with the limit marked."""
    t = stats.tokens
    longest = max(per_example, default=0)
    width = max(1, math.ceil((longest + 1) / TOKEN_BINS))
    counts = Counter(n // width for n in per_example)
    bars = [(f"{k * width:,}-{(k + 1) * width - 1:,}", counts[k], "over" if k * width > t.limit else "")
            for k in range(longest // width + 1)]
    limit = (t.limit / width, f"limit {t.limit:,}") if t.limit <= longest else None
    note = (f"min {t.min:,}, median {t.median:,}, 95th percentile {t.p95:,}, max {t.max:,} tokens ({esc(stats.encoding)}); "
            f'<span data-over-limit="{t.over_limit}">{t.over_limit:,} over the limit of {t.limit:,}</span>'
            + ("" if limit else " (the limit lies beyond the longest example)"))
    return bar_chart("tokens", f"Tokens per example (limit {t.limit:,} for {stats.model})", bars, note=note, vertical_line_at=limit)


def classes_chart(stats: object) -> str:
    if not stats.classes:
        return ('<figure class="chart"><figcaption>Examples per class</figcaption>'
                f'<p data-chart="classes" data-empty="1">No classes: the task is {esc(stats.task or "not inferred")}.</p></figure>')
    bars = [(label.strip() or repr(label), n, "few" if n < PER_CLASS else "") for label, n in stats.classes.items()]
    few = sum(n < PER_CLASS for n in stats.classes.values())
    return bar_chart("classes", "Examples per class", bars, line=(PER_CLASS, f"{PER_CLASS} per class"),
                     note=f"{len(bars):,} classes; {few:,} below {PER_CLASS} examples")


def clusters_chart(clusters: list[Cluster]) -> str:
    if not clusters:
        return ('<figure class="chart"><figcaption>Duplicate and near-duplicate clusters</figcaption>'
                '<p data-chart="clusters" data-empty="1">No duplicates, conflicts or near-duplicates found.</p></figure>')
    kinds = Counter(c.kind for c in clusters)
    shown = clusters[:MAX_CLUSTERS]
    bars = [(f"{c.kind}: lines {', '.join(map(str, c.lines[:4]))}{'...' if len(c.lines) > 4 else ''}", len(c.lines), c.kind) for c in shown]
    summary = "; ".join(f"{n:,} {esc(kind)}" for kind, n in sorted(kinds.items()))
    listing = "".join(f'<li data-kind="{esc(c.kind)}">{esc(c.kind)}: lines {esc(", ".join(map(str, c.lines)))}</li>' for c in shown)
    more = f" (the {MAX_CLUSTERS} largest drawn)" if len(clusters) > MAX_CLUSTERS else ""
    return bar_chart("clusters", "Duplicate and near-duplicate clusters (records per cluster)", bars,
                     note=f'<span data-clusters="{len(clusters)}">{len(clusters):,} clusters</span>{more}: {summary}'
                          f"<details><summary>lines</summary><ul>{listing}</ul></details>")


def overlap_chart(report: Report) -> str:
    if report.validation is None:
        return ('<figure class="chart"><figcaption>Train/validation overlap</figcaption>'
                '<p data-chart="overlap" data-empty="1">No validation file given (--validation FILE).</p></figure>')
    leaked = len(report.leaked)
    bars = [("also in training", leaked, "leaked"), ("only in validation", report.validation_records - leaked, "")]
    listing = "".join(f"<li>validation line {v} = training line{'s' if len(t) > 1 else ''} {esc(', '.join(map(str, t)))}</li>"
                      for v, t in report.leaked[:MAX_ROWS])
    return bar_chart("overlap", "Validation records also in the training file", bars,
                     note=f"{leaked:,} of {report.validation_records:,} validation records overlap the training file"
                          + (f"<details><summary>pairs</summary><ul>{listing}</ul></details>" if leaked else ""))


def cost_panel(stats: object) -> str:
    c = stats.cost
    rows = [("Billed tokens per epoch", f"{c.billed_tokens_per_epoch:,}"),
            ("Epochs", f"{c.epochs} (the API's default for this size)" if c.epochs_source == "API default"
             else f"{c.epochs} ({esc(c.epochs_source)}; the API's default for this size: {c.api_default_epochs})"),
            ("Billed tokens", f"{c.billed_tokens:,}"),
            ("Price", f"${c.usd_per_million:,.2f} per 1M training tokens ({esc(c.price_source)})" if c.usd_per_million is not None
             else f"no known training price for {esc(stats.model)}"),
            ("Estimated cost", f"${c.total_usd:,.2f}" if c.total_usd is not None else "unknown")]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (f'<figure class="chart"><figcaption>Cost estimate</figcaption><table data-chart="cost" '
            f'data-total-usd="{c.total_usd if c.total_usd is not None else ""}" data-billed-tokens="{c.billed_tokens}">{body}</table></figure>')


def findings(diagnostics: list[Diagnostic]) -> str:
    by_rule = Counter((d.code, d.name, d.severity.value) for d in diagnostics)
    summary = "".join(
        f'<tr data-code="{code}"><td><a href="#rule={code}">{code}</a></td><td>{esc(name)}</td><td class="{sev}">{sev}</td>'
        f'<td class="count">{n:,}</td></tr>' for (code, name, sev), n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
    options = "".join(f'<option value="{code}">{code} {esc(name)}</option>' for code, name, _ in sorted(by_rule))
    rows = "".join(
        f'<tr class="finding" data-code="{d.code}" data-severity="{d.severity.value}"><td>{esc(d.location.path)}</td>'
        f'<td class="count">{d.location.line}</td><td class="count">{d.location.column}</td><td>{d.code}</td>'
        f'<td class="{d.severity.value}">{d.severity.value}</td><td>{esc(d.message)}</td></tr>'
        for d in diagnostics[:MAX_ROWS])
    more = (f"<p>The first {MAX_ROWS:,} of {len(diagnostics):,} findings are listed; the counts by rule are complete. "
            "`ftlint check --output-format json` has them all.</p>" if len(diagnostics) > MAX_ROWS else "")
    return (
        f'<section id="findings"><h2>Findings by rule</h2><table class="by-rule" data-findings="{len(diagnostics)}">'
        f"<tr><th>Code</th><th>Rule</th><th>Severity</th><th>Findings</th></tr>{summary}</table>"
        "<h2>Findings by line</h2><form id=\"filter\"><label>Rule <select name=\"rule\"><option value=\"\">all</option>"
        f"{options}</select></label> <label>Severity <select name=\"severity\"><option value=\"\">all</option>"
        '<option>error</option><option>warning</option><option>info</option></select></label> '
        '<label>Text <input name="text" type="search"></label> <output id="shown"></output></form>'
        f'<table class="by-line"><tr><th>File</th><th>Line</th><th>Col</th><th>Code</th><th>Severity</th><th>Message</th></tr>'
        f"{rows}</table>{more}</section>"
    )
