"""`ftlint stats FILE...`: examples, tokens per example, turns, classes, the training cost
estimate and the guide's hyperparameter advice (computed in `ftlint.stats`)."""
from __future__ import annotations

import argparse
import json
import sys

from ftlint import api, hookimpl
from ftlint.text import escape_controls

EXIT_USAGE = 2


def cmd_stats(args: argparse.Namespace) -> int:
    from ftlint import stats, tokens

    if args.n_epochs is not None and not 1 <= args.n_epochs <= 50:
        return _error("--n-epochs must be between 1 and 50")
    try:
        settings = api.load_config(args.config, isolated=args.isolated)
    except api.ConfigError as error:
        return _error(str(error))
    if args.model:
        try:
            tokens.resolve_model(args.model)
        except ValueError as error:
            return _error(str(error))
    from ftlint.engine import expand_paths

    paths, errors = expand_paths(args.paths)
    found = []
    for path in paths:
        if path == "-":
            errors.append("stats needs files, not standard input")
            continue
        try:
            found.append(stats.dataset_stats(path, model=args.model, settings=settings, n_epochs=args.n_epochs))
        except tokens.EncodingUnavailable as error:
            return _error(str(error))
        except OSError as error:
            errors.append(f"{path}: {error.strerror or error}")
            continue
        if args.format == "text":
            print("\n".join(escape_controls(line) for line in stats.describe(found[-1])))
    if args.format == "json":
        json.dump({"prices_date": stats.PRICES_DATE, "files": [s.to_json() for s in found]}, sys.stdout, indent=2, ensure_ascii=False)
        print()
    for message in errors:
        print(f"ftlint: error: {escape_controls(message)}", file=sys.stderr)
    return EXIT_USAGE if errors else 0


def _error(message: str) -> int:
    print(f"ftlint: error: {escape_controls(message)}", file=sys.stderr)
    return EXIT_USAGE


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("stats", help="examples, tokens per example, classes, training cost estimate and hyperparameter advice")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files (directories: every *.jsonl inside)")
    parser.add_argument("--model", help="the model to train (token limits, encoding, price; default: from config, else by format)")
    parser.add_argument("--n-epochs", type=int, metavar="N", help="the epochs to estimate the cost for (default: the API's choice)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--config", metavar="FILE", help="config file (default: nearest ftlint.toml or pyproject.toml with [tool.ftlint])")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    parser.set_defaults(handler=cmd_stats)
