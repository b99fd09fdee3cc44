"""`ftlint gx`: the dataset's checks as a Great Expectations suite, validated with GX and shown in
Data Docs (install ftlint[gx]). GX takes seconds to import: it is imported only when this
command runs, never by `ftlint check`."""
from __future__ import annotations

import argparse

from ftlint import api, hookimpl


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gx", help="write the dataset's checks as a Great Expectations suite, validate it with GX, build Data Docs (ftlint[gx])")
    parser.add_argument("path", metavar="FILE", help="the dataset (JSONL)")
    parser.add_argument("--suite-out", required=True, metavar="FILE", help="where to write the Expectation Suite (JSON)")
    parser.add_argument("--docs", metavar="DIR", help="build GX Data Docs of the suite and the validation here")
    parser.add_argument("--model", help="base model, for the token limit (default: from config, else by format)")
    parser.add_argument("--config", metavar="FILE", help="config file (default: nearest ftlint.toml or pyproject.toml)")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    suite = api.import_extra("ftlint_plugins.gx.suite", "gx", "`ftlint gx`")
    return int(suite.run_gx(args))
