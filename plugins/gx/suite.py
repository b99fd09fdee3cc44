"""The dataset's checks as a Great Expectations suite, validated with GX through pandas.

The suite describes the data the way ftlint inferred (or was told) it: its columns and types,
the separator every prompt ends with and no prompt holds elsewhere, the leading whitespace and
stop sequence of completions, the model's token limit and the label set. Each expectation names
the ftlint rule it mirrors in its `meta`. GX validates the frame `dataframe()` builds: one row per
JSON object (indexed by its line number), its keys as columns, plus `ftlint_tokens` (tokens of
the example under the model's encoding), which a team reusing the suite in its own checkpoints
builds the same way (`from ftlint_plugins.gx.suite import dataframe`).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
from typing import Any

import great_expectations as gx
import orjson
import pandas as pd

from ftlint import api

TOKENS = "ftlint_tokens"
MIN_EXAMPLES = 10  # the fine-tuning API refuses fewer (FT110)
GX_SEVERITY = {"error": "critical", "warning": "warning", "info": "info"}


def records(path: str) -> tuple[list[int], list[dict[str, Any]], int]:
    """(line numbers, JSON objects) of the file in order, and how many other non-blank lines it has."""
    opener = gzip.open if path.endswith(".gz") else open
    lines, found, other = [], [], 0
    with opener(path, "rb") as stream:
        for number, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                value = None
            if isinstance(value, dict):
                lines.append(number)
                found.append(value)
            else:
                other += 1
    return lines, found, other


def dataframe(path: str, model: str) -> tuple[pd.DataFrame, int]:
    """The frame GX validates (see the module docstring) and the count of lines left out (not
    JSON objects: `ftlint check` reports them)."""
    lines, found, other = records(path)
    frame = pd.DataFrame.from_records(found, index=pd.Index(lines, name="line"))
    counted = api.example_tokens(path, model=model)
    frame[TOKENS] = [counted.get(line) for line in lines]
    return frame, other


def literal(text: str) -> str:
    """A regular expression matching `text`, with line breaks and tabs written as \\n, \\r, \\t."""
    return re.escape(text).replace("\\\n", "\\n").replace("\\\r", "\\r").replace("\\\t", "\\t")


def expectations(conventions: Any, stats: Any, severity: dict[str, str]) -> list[gx.expectations.Expectation]:
    """The suite's expectations; `severity`: ftlint code -> its severity (error, warning, info)."""
    expect = gx.expectations

    def rule(code: str, item: gx.expectations.Expectation) -> gx.expectations.Expectation:
        item.meta = {"ftlint_rule": code}
        item.severity = GX_SEVERITY[severity.get(code, "error")]
        return item

    found = [rule("FT110", expect.ExpectTableRowCountToBeBetween(min_value=MIN_EXAMPLES))]
    if conventions.format == "prompt-completion":
        found.append(rule("FT104", expect.ExpectTableColumnsToMatchSet(column_set=["prompt", "completion", TOKENS], exact_match=True)))
        for column in ("prompt", "completion"):
            found.append(rule("FT101", expect.ExpectColumnValuesToNotBeNull(column=column)))
            found.append(rule("FT102", expect.ExpectColumnValuesToBeOfType(column=column, type_="str")))
        if conventions.separator:
            sep = literal(conventions.separator)
            found.append(rule("FT201", expect.ExpectColumnValuesToMatchRegex(column="prompt", regex=sep + r"\Z")))
            found.append(rule("FT203", expect.ExpectColumnValuesToNotMatchRegex(column="prompt", regex=f"(?s){sep}.")))
        found.append(rule("FT301", expect.ExpectColumnValuesToMatchRegex(column="completion", regex=r"\A\s")))
        if conventions.task == "generation" and conventions.stop:
            stop = literal(conventions.stop)
            found.append(rule("FT302", expect.ExpectColumnValuesToMatchRegex(column="completion", regex=stop + r"\Z")))
            found.append(rule("FT304", expect.ExpectColumnValuesToNotMatchRegex(column="completion", regex=f"(?s){stop}.")))
        if conventions.task == "classification" and stats.classes:
            found.append(rule("FT504", expect.ExpectColumnValuesToBeInSet(column="completion", value_set=sorted(stats.classes))))
    elif conventions.format == "chat":
        found.append(rule("FT101", expect.ExpectColumnValuesToNotBeNull(column="messages")))
        found.append(rule("FT102", expect.ExpectColumnValuesToBeOfType(column="messages", type_="list")))
    found.append(rule("FT401", expect.ExpectColumnValuesToBeBetween(column=TOKENS, min_value=1, max_value=stats.tokens.limit)))
    return found


def run_gx(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.path):
        print(f"ftlint: error: {args.path}: `ftlint gx` needs a dataset file (not found, or not a file)", file=sys.stderr)
        return 2
    settings = api.load_config(args.config, isolated=args.isolated)
    checked = api.check([args.path], settings=settings, model=args.model, select=["FT0"])  # reads it; conventions
    if checked.errors:
        for message in checked.errors:
            print(f"ftlint: error: {message}", file=sys.stderr)
        return 2
    conventions = checked.conventions[checked.files[0].path]
    if conventions.format not in ("prompt-completion", "chat"):
        print(f"ftlint: error: {args.path}: `ftlint gx` knows prompt-completion and chat data, not {conventions.format}", file=sys.stderr)
        return 2
    stats = api.dataset_stats(args.path, model=args.model, settings=settings)
    severity = {code: rule.severity.value for code, rule in api.registry().rules.items()}
    frame, left_out = dataframe(args.path, stats.model)

    stem = re.sub(r"\.jsonl(\.gz)?$", "", os.path.basename(args.path))
    suite = gx.ExpectationSuite(name="ftlint-" + re.sub(r"[^A-Za-z0-9_-]+", "-", stem),  # GX makes folders of dots
                                expectations=expectations(conventions, stats, severity),
                                meta={"ftlint": {"path": args.path, "model": stats.model, "format": conventions.format,
                                                 "separator": conventions.separator, "stop": conventions.stop,
                                                 "task": conventions.task, "token_column": TOKENS}})
    with open(args.suite_out, "w", encoding="utf-8") as out:
        json.dump(suite.to_json_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")

    result = validate(suite, frame, args.docs)
    print(f"{args.suite_out}: {len(suite.expectations)} expectations for {args.path} "
          f"({conventions.format}{', ' + conventions.task if conventions.task else ''}, model {stats.model})")
    if left_out:
        print(f"{args.path}: left {left_out:,} line{'' if left_out == 1 else 's'} out of the frame: not a JSON object "
              "(`ftlint check` reports them)")
    failed = [r for r in result.results if not r.success]
    for r in failed:
        config = r.expectation_config
        where = config.kwargs.get("column", "table")
        count = r.result.get("unexpected_count")
        lines = [row["line"] if isinstance(row, dict) else row for row in r.result.get("partial_unexpected_index_list") or []]
        detail = f": {count:,} of {len(frame):,} records, lines {', '.join(map(str, lines[:10]))}" if count else ""
        print(f"  {config.meta.get('ftlint_rule', '')} {config.type} ({where}) failed{detail}")
    verdict = "passed" if result.success else f"failed ({len(failed)} of {len(result.results)} expectations)"
    print(f"GX validation of {len(frame):,} records {verdict}")
    if args.docs:
        print(f"Data Docs: {os.path.join(os.path.abspath(args.docs), 'index.html')} (its pages load styles and scripts from CDNs)")
    return 0 if result.success else 1


def validate(suite: gx.ExpectationSuite, frame: pd.DataFrame, docs: str | None) -> Any:
    """Validate `frame` with GX (pandas); with `docs`, a checkpoint also builds Data Docs there."""
    with api.temporary_directory(prefix="ftlint-gx-") as project:
        context = gx.get_context(mode="file", project_root_dir=project)
        context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
        batch = context.data_sources.add_pandas("ftlint").add_dataframe_asset("dataset").add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(gx.ExpectationSuite(**suite.to_json_dict()))
        definition = context.validation_definitions.add(gx.ValidationDefinition(data=batch, suite=suite, name="ftlint"))
        actions = []
        if docs:
            context.add_data_docs_site(site_name="ftlint", site_config={
                "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": os.path.abspath(docs)}})
            actions.append(gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["ftlint"]))
        checkpoint = context.checkpoints.add(gx.Checkpoint(name="ftlint", validation_definitions=[definition], actions=actions,
                                                           result_format={"result_format": "SUMMARY"}))
        run = checkpoint.run(batch_parameters={"dataframe": frame})
        return next(iter(run.run_results.values()))
