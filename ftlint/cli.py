"""The `ftlint` command line. Exit codes: 0 clean, 1 findings at error level, 2 usage or I/O error."""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ftlint import __version__, api
from ftlint.config import ConfigError, Settings, apply, find_config, load_settings
from ftlint.diagnostics import Applicability
from ftlint.engine import Linter, RunResult
from ftlint.plugins import PluginError, Registry
from ftlint.reader import collector_paused
from ftlint.reporters import ReportOptions, describe_conventions, dumps_json, render_statistics, render_statistics_json
from ftlint.text import escape_controls

if TYPE_CHECKING:
    from ftlint.fixes import FixGuard

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad arguments: printed as `ftlint: error: ...`, exit 2."""


def _codes(value: str) -> list[str]:
    """Comma-separated rule codes, prefixes or names (checked against the rules once loaded)."""
    return [c.strip() for c in value.split(",") if c.strip()]


def unescape(value: str) -> str:
    """Read `\\n`, `\\t` and `\\\\` in a separator or stop given on the command line."""
    return value.encode("latin-1", "backslashreplace").decode("unicode_escape")


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="config file (default: nearest ftlint.toml or pyproject.toml with [tool.ftlint])")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    parser.add_argument("--disable-plugin", action="append", default=[], metavar="NAME", help="do not load the plugin with this entry-point name")


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-stream-bytes", metavar="SIZE",
                        help="standard input and pipes are copied to a temporary file up to this size, e.g. 512M (default: 4G)")


def _convention_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="base model, for token limits and encodings (default: from config, else davinci for prompt-completion files, gpt-4o-mini-2024-07-18 for chat and preference files)")
    parser.add_argument("--task", choices=["classification", "generation"], help="override task inference")
    parser.add_argument("--separator", type=unescape, help=r"the prompt separator, e.g. '\n\n###\n\n' (default: inferred)")
    parser.add_argument("--stop", type=unescape, help=r"the completion stop sequence, e.g. ' END' (default: inferred)")
    parser.add_argument("--stdin-filename", metavar="NAME", help="the name to report for standard input ('-')")


def _walk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", default=None,
                        help="in directories, also check the datasets .gitignore files ignore")


def _output_format(parser: argparse.ArgumentParser, choices: list[str]) -> None:
    parser.add_argument("--output-format", "--format", dest="format", default="text", choices=choices,
                        help="output format (--format is an alias)")


def build_parser(registry: Registry) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ftlint", description="Lint LLM fine-tuning datasets (JSONL).")
    parser.add_argument("--version", action="version", version=f"ftlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    check = sub.add_parser("check", help="lint files (directories: every *.jsonl inside; '-': standard input)")
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--validation", metavar="FILE", action="append",
                       help="the validation file that goes with the training file (repeated, with --one-dataset: the validation files)")
    check.add_argument("--one-dataset", action="store_true",
                       help="the training files are one dataset: one set of conventions, dataset rules across files (line numbers stay per file)")
    _convention_options(check)
    _input_options(check)
    check.add_argument("--select", type=_codes, action="extend",
                       help="rule codes, prefixes or names to enable (comma-separated or repeated; ALL: every rule, opt-in ones included)")
    check.add_argument("--extend-select", type=_codes, action="extend", help="codes, prefixes or names to enable in addition")
    check.add_argument("--ignore", type=_codes, action="extend", help="codes, prefixes or names to disable")
    _output_format(check, sorted(registry.reporters))
    check.add_argument("--output-file", "-o", metavar="FILE", help="write the report here instead of standard output")
    check.add_argument("--statistics", action="store_true", help="print only the count of findings per rule (JSON with --output-format json)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply (or show) unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing (exit 1 if there are any)")
    check.add_argument("--interactive", action="store_true",
                       help="with --fix: ask before each rule's fixes (count, two samples), offer to convert tables and to split classifiers")
    _walk_options(check)
    check.add_argument("--jobs", "-j", type=int, default=len(os.sched_getaffinity(0)), metavar="N",
                       help="processes for large files (default: the usable CPUs)")
    check.add_argument("--engine", default="local", choices=["local", *registry.engines],
                       help="where the check runs: local (this machine), or an engine plugin's: " + (", ".join(registry.engines) or "none installed"))
    for name, engine in registry.engines.items():
        engine.add_options(check.add_argument_group(f"--engine {name}"))  # type: ignore[arg-type]
    _common_options(check)
    check.set_defaults(handler=cmd_check)

    rules = sub.add_parser("rules", help="list every rule, plugins' included")
    _output_format(rules, ["text", "json", "markdown"])
    _common_options(rules)
    rules.set_defaults(handler=cmd_rules)

    rule = sub.add_parser("rule", help="explain a rule: what it does, why, example, fix")
    rule.add_argument("code", metavar="CODE|NAME")
    _common_options(rule)
    rule.set_defaults(handler=cmd_rule)

    conventions = sub.add_parser("conventions", help="print the separator, stop sequence, task and classes inferred for files")
    conventions.add_argument("paths", nargs="+", metavar="FILE")
    _convention_options(conventions)
    _input_options(conventions)
    _output_format(conventions, ["text", "json"])
    _walk_options(conventions)
    _common_options(conventions)
    conventions.set_defaults(handler=cmd_conventions)

    count = sub.add_parser("tokens", help="exact token totals per file, for cost estimates (all cores)")
    count.add_argument("paths", nargs="+", metavar="FILE")
    count.add_argument("--model", help="base model whose encoding counts (default: from config, else the one `check` assumes: davinci for prompt-completion files, gpt-4o-mini-2024-07-18 for chat and preference files)")
    _output_format(count, ["text", "json"])
    _walk_options(count)
    count.add_argument("--jobs", "-j", type=int, default=len(os.sched_getaffinity(0)), metavar="N")
    _input_options(count)
    _common_options(count)
    count.set_defaults(handler=cmd_tokens)

    registry.add_commands(sub)
    return parser


PROGRESS_DELAY = 2.0  # seconds before a run shows its progress bar


def progress_bar() -> Any:
    """A progress bar on standard error for runs longer than PROGRESS_DELAY, only when standard
    error is a terminal (never in output that programs read); None otherwise."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(desc="ftlint: checking", unit="B", unit_scale=True, unit_divisor=1024, delay=PROGRESS_DELAY,
                leave=False, file=sys.stderr, dynamic_ncols=True)


def settings_from(args: argparse.Namespace) -> Settings:
    """Config file settings, overridden by the command line."""
    if args.isolated:
        settings = Settings()
    elif args.config:
        if not os.path.isfile(args.config):
            raise UsageError(f"config file {args.config}: not found")
        settings = load_settings(Path(args.config))
    else:
        settings = load_settings(find_config(Path.cwd()))
    overrides = {
        key.replace("_", "-"): getattr(args, key)
        for key in ("select", "extend_select", "ignore", "model", "task", "separator", "stop", "max_stream_bytes",
                    "respect_gitignore")
        if getattr(args, key, None) is not None
    }
    apply(settings, overrides, where="command line")
    if settings.model:
        from ftlint.tokens import resolve_model

        try:
            resolve_model(settings.model)
        except ValueError as error:
            raise UsageError(str(error)) from None
    return settings


def cmd_check(args: argparse.Namespace) -> int:
    registry = api.registry()
    settings = settings_from(args)
    from ftlint.sources import is_stream

    validation = args.validation or []
    if len(validation) > 1 and not args.one_dataset:
        raise UsageError("several --validation files need --one-dataset (they are then one validation set)")
    streams = [p for p in args.paths + validation if is_stream(p)]
    if (args.fix or args.diff) and streams:
        raise UsageError(f"--fix and --diff need regular files, not standard input or a pipe ({streams[0]})")
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    ask = None
    if args.interactive:
        from ftlint import interactive

        if not args.fix or args.diff:
            raise UsageError("--interactive goes with --fix: it asks before each group of fixes is applied")
        if why := interactive.needs_terminal():
            raise UsageError(why)
        ask = interactive.terminal_ask()
        args.paths = interactive.offer_conversions(args.paths, set(registry.input_readers), ask, sys.stderr)
    _refuse_outputs_over_inputs(args)
    linter = Linter(registry.rules, settings, jobs=args.jobs, input_readers=registry.input_readers)
    linter.one_dataset = args.one_dataset
    for message in linter.selection.warnings:
        print(f"ftlint: warning: {escape_controls(message)}", file=sys.stderr)
    if args.engine != "local":
        if args.diff:
            raise UsageError(f"--diff runs on the local engine only, not --engine {args.engine}")
        result = _run_engine(args, linter)
        return _report(args, registry, result)
    linter.progress = progress_bar()
    held: contextlib.AbstractContextManager[FixGuard | None] = contextlib.nullcontext(None)
    if args.fix and not args.diff:
        from ftlint.fixes import guard

        held = guard(args.paths + validation)  # before the files are read: locks, identities
    # Paused collector: a run can hold a million diagnostics, which every collection would
    # traverse again while the reports and renderers make millions more small objects.
    with collector_paused(), held as locks:
        try:
            result = linter.run(args.paths, validation=validation, stdin_filename=args.stdin_filename)
        finally:
            if linter.progress is not None:
                linter.progress.close()
        if args.fix or args.diff:
            from ftlint.fixes import apply_fixes

            minimum = Applicability.UNSAFE if args.unsafe_fixes else Applicability.SAFE
            codes = None if ask is None else interactive.choose(interactive.groups(result, minimum), ask, sys.stderr)
            result = apply_fixes(linter, result, minimum, diff_out=sys.stdout if args.diff else None, held=locks, codes=codes)
            if ask is not None and not validation:
                interactive.offer_split(result, settings, ask, sys.stderr)
        return _report(args, registry, result)


def _run_engine(args: argparse.Namespace, linter: Linter) -> RunResult:
    """A check on an engine plugin's `--engine`, with the same rules and settings."""
    from ftlint.datasets import EngineError, Plan

    def plan(paths: list[str], validation: list[str]) -> Plan:
        return Plan.build(linter, paths, validation, args.one_dataset)

    with collector_paused():
        try:
            return api.registry().engines[args.engine].run(plan, args)
        except EngineError as error:
            raise UsageError(str(error)) from None


def _report(args: argparse.Namespace, registry: Registry, result: RunResult) -> int:
    """Gates, messages and the report of a finished check; its exit code."""
    registry.finish(result)
    for message in result.notes:
        print(f"ftlint: note: {escape_controls(message)}", file=sys.stderr)
    for message in result.errors + [f.error for f in result.files if f.error]:
        print(f"ftlint: error: {escape_controls(message)}", file=sys.stderr)
    for veto in result.vetoes:
        print(f"ftlint: gate {veto.plugin}: {escape_controls(veto.message)}", file=sys.stderr)
    if args.diff:  # as ruff: 1 when there are changes to make, or error-level findings remain
        pending = any(f.fixed for f in result.files)
        return max(result.exit_code(args.exit_zero), int(pending and not args.exit_zero))
    opts = ReportOptions(quiet=args.quiet, unsafe_fixes=args.unsafe_fixes, version=__version__)
    render = registry.reporters[args.format]
    if args.statistics:
        render = render_statistics_json if args.format == "json" else render_statistics
    if args.output_file:
        with open(args.output_file, "w", encoding="utf-8", errors="surrogateescape") as out:
            render(result, out, opts)
    else:
        render(result, sys.stdout, opts)
    return result.exit_code(args.exit_zero)


def _refuse_outputs_over_inputs(args: argparse.Namespace) -> None:
    """A report written over a dataset, or a training file checked (and fixed) as its own
    validation file, destroys data: both are usage errors."""
    from ftlint.engine import expand_paths
    from ftlint.fixes import removed_path

    inputs, _ = expand_paths([p for p in args.paths if p != "-"])
    for validation in args.validation or []:
        if os.path.exists(validation):
            for path in inputs:
                if os.path.samefile(path, validation):
                    raise UsageError(f"--validation {validation} is the training file {path}; give the validation file")
            inputs.append(validation)
    if args.output_file and os.path.exists(args.output_file):
        for path in inputs:
            if os.path.samefile(path, args.output_file):
                raise UsageError(f"--output-file {args.output_file} is the input file {path}; the report would overwrite it")
    if args.output_file:
        output = os.path.realpath(args.output_file)
        for path in inputs:
            if os.path.realpath(removed_path(path)) == output:
                raise UsageError(f"--output-file {args.output_file} is where the records and text that fixes of {path} remove are "
                                 "kept; the report would overwrite them")


def cmd_rules(args: argparse.Namespace) -> int:
    registry = api.registry()
    rows = []
    for code in sorted(registry.rules):
        rule = registry.rules[code]
        rows.append({"code": code, "name": rule.name, "severity": rule.severity.value, "opt_in": rule.opt_in,
                     "formats": sorted(rule.formats) if rule.formats else ["any"],
                     "plugin": registry.owners[code], "summary": rule.summary()})
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    if args.format == "markdown":
        print("| Code | Name | Severity | What it checks |\n|---|---|---|---|")
        for row in rows:
            print(f"| {row['code']} | {row['name']} | {row['severity']} | {row['summary']} |")
        return 0
    for row in rows:
        print(f"{row['code']:<7} {row['name']:<28} {row['severity']:<8} {row['summary']}")
    return 0


def cmd_rule(args: argparse.Namespace) -> int:
    registry = api.registry()
    rule = registry.rule(args.code)
    if rule is None:
        raise UsageError(f"unknown rule {args.code!r}; `ftlint rules` lists them")
    opt_in = ", opt-in: runs only when selected by name, code, prefix or ALL" if rule.opt_in else ""
    print(f"# {rule.code} {rule.name} ({rule.severity.value}{opt_in}; from plugin {registry.owners[rule.code]})\n")
    print(rule.documentation())  # its Options section documents the options (tests/test_rule_docs.py)
    return 0


def _walked(paths: list[str], settings: Settings) -> tuple[list[str], list[str]]:
    """The files named or found below the directories named (tables included); says what the
    walks left out."""
    from ftlint.engine import expand_paths

    notes: list[str] = []
    files, errors = expand_paths(paths, settings, notes, api.registry().input_readers)
    for message in notes:
        print(f"ftlint: note: {escape_controls(message)}", file=sys.stderr)
    return files, errors


@contextlib.contextmanager
def _jsonl(path: str, settings: Settings) -> Iterator[str]:
    """A JSONL file holding the records of `path`: the file, a spool of a stream, or the records
    of a table (read by its input reader) in a temporary file."""
    from ftlint.engine import records_as_jsonl
    from ftlint.sources import readable_path

    read = api.registry().input_readers.get(Path(path).suffix.lower())
    if read is None:
        with readable_path(path, settings.max_stream_bytes) as local:
            yield local
    else:
        with records_as_jsonl(path, read) as (local, _):
            yield local


def cmd_conventions(args: argparse.Namespace) -> int:
    from ftlint import conventions
    from ftlint.engine import FileResult
    from ftlint.reader import sample_records

    settings = settings_from(args)
    files, errors = _walked(args.paths, settings)
    found = {}
    for path in files:
        try:
            with _jsonl(path, settings) as local:
                conv = conventions.infer(sample_records(local, settings.max_line_bytes), settings.conventions())
        except OSError as error:
            errors.append(f"{path}: {error.strerror or error}")
            continue
        except Exception as error:  # noqa: BLE001 - one file's failure must not cost the others their answer
            errors.append(f"{path}: internal error: {type(error).__name__}: {error} (please report it)")
            continue
        found[path] = conv
        if args.format == "text":
            file_result = FileResult(path, records=conv.sampled, conventions=conv)
            print(describe_conventions(file_result, settings.model).replace(" records", " sampled records"))
    if args.format == "json":
        print(dumps_json({p: c.to_json(settings.model) for p, c in found.items()}))
    for message in errors:
        print(f"ftlint: error: {escape_controls(message)}", file=sys.stderr)
    return EXIT_USAGE if errors else 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from ftlint import conventions
    from ftlint.reader import sample_records
    from ftlint.token_totals import token_totals
    from ftlint.tokens import EncodingUnavailable, default_model

    settings = settings_from(args)
    files, errors = _walked(args.paths, settings)
    report = {}
    models = set()
    for path in files:
        try:
            with _jsonl(path, settings) as local:
                # the model `check` assumes for the file's format when none is configured
                fmt = conventions.infer(sample_records(local, settings.max_line_bytes), settings.conventions()).format
                model = settings.model or default_model(fmt)
                totals = token_totals(local, model, max(args.jobs, 1))
        except EncodingUnavailable as error:
            raise UsageError(str(error)) from None
        except OSError as error:
            errors.append(f"{path}: {error.strerror or error}")
            continue
        except Exception as error:  # noqa: BLE001 - one file's failure must not cost the others their totals
            errors.append(f"{path}: internal error: {type(error).__name__}: {error} (please report it)")
            continue
        models.add(model)
        report[path] = {"model": model, **totals.to_json()}
        if args.format == "text":
            print(escape_controls(
                f"{path}: {totals.records:,} records, {totals.prompt_tokens:,} prompt + {totals.completion_tokens:,} "
                f"completion = {totals.total:,} tokens ({model}); longest example {totals.longest_example:,} tokens"
            ))
    if args.format == "json":
        json.dump({"model": models.pop() if len(models) == 1 else None, "files": report}, sys.stdout, indent=2)
        print()
    for message in errors:
        print(f"ftlint: error: {escape_controls(message)}", file=sys.stderr)
    return EXIT_USAGE if errors else 0


def _disabled_plugins(argv: Sequence[str]) -> frozenset[str]:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--disable-plugin", action="append", default=[])
    known, _ = pre.parse_known_args(argv)
    return frozenset(known.disable_plugin)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        with api._command_plugins(_disabled_plugins(argv)) as registry:
            args = build_parser(registry).parse_args(argv)
            handler: Callable[[argparse.Namespace], int] = args.handler
            return handler(args)
    except (UsageError, ConfigError, PluginError) as error:
        print(f"ftlint: error: {escape_controls(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ftlint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_USAGE
    except OSError as error:
        print(f"ftlint: error: {escape_controls(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # never a traceback for users; FTLINT_DEBUG=1 shows it
        if os.environ.get("FTLINT_DEBUG"):
            raise
        print(f"ftlint: internal error: {type(error).__name__}: {escape_controls(str(error))} "
              "(set FTLINT_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return EXIT_USAGE


def run() -> None:
    # A file name that is not UTF-8 reaches the text and github reports as its own bytes (like
    # ls), not as an encoding error; the JSON, SARIF and JUnit reports escape it themselves.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="surrogateescape")
    sys.exit(main())
