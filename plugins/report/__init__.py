"""`ftlint report`: one self-contained HTML file to look at and to show (no network: styles,
script and charts are inline). Imported only when the command runs."""
from __future__ import annotations

import argparse

from ftlint import hookimpl


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="write an HTML report: findings, token, class, duplicate, overlap and cost charts")
    parser.add_argument("path", metavar="FILE", help="the training file")
    parser.add_argument("--validation", metavar="FILE", help="the validation file that goes with it (overlap chart)")
    parser.add_argument("--output", "-o", metavar="FILE", default="report.html", help="where to write the report (default: report.html)")
    parser.add_argument("--model", help="base model: token limit, encoding and price (default: from config, else by format)")
    parser.add_argument("--config", metavar="FILE", help="config file (default: nearest ftlint.toml or pyproject.toml)")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ftlint_plugins.report.build import write_report

    return write_report(args)
