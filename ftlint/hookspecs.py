"""Every hook ftlint calls, documented where it is declared (the plugin author's reference).

A plugin is a module registered through the ``ftlint`` entry-point group of its distribution,
exactly like ftlint's own rules::

    # pyproject.toml of the plugin
    [project.entry-points.ftlint]
    acme = "acme_ftlint"

The module implements any of the hooks below as module-level functions marked with
``@ftlint.hookimpl``, importing only ``ftlint`` and ``ftlint.api``. Plugins are told apart by
distribution and entry-point name. Every implementation is checked against these
specifications once all plugins are loaded: a misspelt hook name or argument is an error that
names the plugin. A plugin that fails to load, or whose hook raises, is an error too (exit 2,
naming the plugin and ``--disable-plugin NAME``): ftlint never passes a run with a plugin
silently missing.

Hooks, in the order a run calls them: ``ftlint_addhooks`` (while loading),
``ftlint_get_rules``, ``ftlint_get_reporters``, ``ftlint_get_input_readers``,
``ftlint_get_submit_backends``, ``ftlint_get_engines`` (after loading), ``ftlint_add_commands``
(building the command line), then for each ``check``: ``ftlint_run_finished`` and
``ftlint_gate`` (after fixes, before the report).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Mapping, TextIO

import pluggy

if TYPE_CHECKING:
    import argparse

    from ftlint.backends import BackendFactory
    from ftlint.datasets import Engine
    from ftlint.engine import RunResult
    from ftlint.reporters import ReportOptions
    from ftlint.rule import Rule

hookspec = pluggy.HookspecMarker("ftlint")
hookimpl = pluggy.HookimplMarker("ftlint")

Reporter = Callable[["RunResult", TextIO, "ReportOptions"], None]
"""An output format: ``render(result, out, options)`` writes a whole run to a text stream."""

InputReader = Callable[[str], Iterable[tuple[int, bytes]]]
"""A reader of a file type: ``read(path)`` yields ``(line, json_object)`` per record."""


@hookspec(historic=True)
def ftlint_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add hook specifications of your own, for plugins that extend your plugin.

    :param pluginmanager: the ``pluggy.PluginManager`` of this run; call
        ``pluginmanager.add_hookspecs(module_or_class)``.
    :return: nothing.

    **When**: once, after every plugin is registered and before their hook implementations are
    checked, so a plugin may both declare a new hook here and implement it. Historic: a plugin
    registered later still receives the call.

    Example::

        class AcmeSpecs:
            @pluggy.HookspecMarker("ftlint")
            def acme_extra_words(self) -> list[str]: ...

        @hookimpl
        def ftlint_addhooks(pluginmanager):
            pluginmanager.add_hookspecs(AcmeSpecs)

        @hookimpl
        def acme_extra_words():
            return ["lorem"]
    """


@hookspec
def ftlint_get_rules() -> list[type[Rule]]:
    """Return the rule classes this plugin provides.

    :return: a list of subclasses of ``ftlint.Rule`` (checks of one batch of records at a time)
        or ``ftlint.DatasetRule`` (small mergeable state over the whole file: ``new_state``,
        ``observe``, an associative ``merge``, ``report``; optionally keyed, split by key bucket
        with ``split``, ``reduce`` and ``report_reduced``, as ``ftlint/rule.py`` documents). Each has a unique
        ``code`` (letters then 3-4 digits, e.g. ``ACME001``), a kebab-case ``name``, a
        ``severity`` and a docstring that is its documentation (``ftlint rule CODE`` prints it).

    **When**: once, after all plugins are loaded. A code defined by two plugins is an error
    naming both.

    Example::

        from ftlint import Rule, Severity, hookimpl

        class NoShouting(Rule):
            \"\"\"Prompts must not be all capitals. ...\"\"\"

            code = "ACME001"
            name = "no-shouting"
            severity = Severity.WARNING

            def check(self, batch, ctx):
                for line, prompt in zip(batch.lines, batch.strings("prompt")):
                    if prompt and prompt.isupper():
                        yield self.diagnostic(ctx, line, "prompt is all capitals", pointer="/prompt")

        @hookimpl
        def ftlint_get_rules():
            return [NoShouting]
    """


@hookspec
def ftlint_get_reporters() -> Mapping[str, Reporter]:
    """Return output formats: ``{name: render}``.

    :return: a mapping from a format name (a choice of ``ftlint check --format``) to
        ``render(result: ftlint.RunResult, out: TextIO, options: ftlint.ReportOptions) -> None``,
        which writes the whole run (``result.files``, each with its ``diagnostics`` and
        ``conventions``) to ``out``.

    **When**: once, after all plugins are loaded. A name already taken (``text``, ``json``,
    ``sarif``, ... or another plugin's) is an error naming both plugins.

    Example::

        def render_count(result, out, options):
            out.write(f"{len(result.diagnostics)} findings\\n")

        @hookimpl
        def ftlint_get_reporters():
            return {"count": render_count}
    """


@hookspec
def ftlint_get_input_readers() -> Mapping[str, InputReader]:
    """Return readers for file types that are not JSONL: ``{extension: read}``.

    :return: a mapping from a lower-case file extension with its dot (``".psv"``) to
        ``read(path: str) -> Iterable[tuple[int, bytes]]``, which yields one
        ``(line, json_object)`` pair per record: ``line`` is the 1-based line (or row) reported
        for that record, increasing; ``json_object`` is one JSON object as UTF-8 bytes without
        a newline (``orjson.dumps(record)``). Everything after that is ftlint's usual path:
        parsing, format detection, every rule. Raise ``OSError`` (or ``ValueError``) with a
        message for a file that cannot be read; it is reported for that file (exit 2).

    **When**: once, after all plugins are loaded. ``ftlint check`` then reads a file with that
    extension through ``read``, and a directory walk includes such files. An extension claimed
    by two plugins is an error naming both (the built-in ``tabular`` plugin reads ``.csv``,
    ``.tsv``, ``.xlsx``, ``.json`` and ``.parquet``). Fixes are never written back into such a file.

    Example::

        import csv, orjson

        def read_psv(path):  # pipe-separated values
            with open(path, newline="", encoding="utf-8") as f:
                for row_number, row in enumerate(csv.DictReader(f, delimiter="|"), start=2):  # header: line 1
                    yield row_number, orjson.dumps(row)

        @hookimpl
        def ftlint_get_input_readers():
            return {".psv": read_psv}
    """


@hookspec
def ftlint_add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add sub-commands to the ``ftlint`` command line.

    :param subparsers: the ``argparse`` sub-parsers of ``ftlint``; call
        ``subparsers.add_parser(name, help=...)`` and set the handler with
        ``parser.set_defaults(handler=func)``, where ``func(args: argparse.Namespace) -> int``
        returns the exit code (0 success, 1 the data failed, 2 usage or I/O error).
    :return: nothing.

    **When**: once, while the command line is built, before arguments are parsed. A command
    name already taken is an error naming the plugin. The handler reads the configuration with
    ``ftlint.api.load_config(args.config)`` (add a ``--config`` option for it) and checks data
    with ``ftlint.api.check``; an exception it raises is reported as an error, never a
    traceback.

    Example::

        from ftlint import api, hookimpl

        def count_files(args):
            result = api.check(args.paths, settings=api.load_config(args.config))
            print(f"{len(result.files)} files, passed: {result.passed}")
            return result.exit_code

        @hookimpl
        def ftlint_add_commands(subparsers):
            parser = subparsers.add_parser("count", help="count the files a check reads")
            parser.add_argument("paths", nargs="+")
            parser.add_argument("--config")
            parser.set_defaults(handler=count_files)
    """


@hookspec
def ftlint_run_finished(result: RunResult) -> None:
    """Observe a finished run: every file read and checked, and fixes applied.

    :param result: the ``ftlint.RunResult`` (``files``, ``diagnostics``, ``errors``); after
        ``--fix`` it describes the fixed files (``FileResult.fixed`` counts the fixes).
    :return: nothing; use ``ftlint_gate`` to change the outcome.

    **When**: after each ``ftlint check`` (and ``ftlint.api.check``/``fix``), after fixes,
    before the gates and before the report is written.

    Example::

        @hookimpl
        def ftlint_run_finished(result):
            metrics.gauge("dataset.findings", len(result.diagnostics))
    """


@hookspec
def ftlint_gate(result: RunResult) -> str | None:
    """Decide whether a run may pass, beyond its findings: return a message to veto it.

    :param result: the ``ftlint.RunResult`` of the run, after fixes.
    :return: ``None`` to let the run stand, or a message saying why it must fail. A veto makes
        the run fail (exit 1, ``CheckResult.passed`` false, even with no error-level finding;
        ``--exit-zero`` still exits 0); the message is printed as
        ``ftlint: gate <plugin>: <message>`` and kept in ``result.vetoes``.

    **When**: after ``ftlint_run_finished``, before the report is written; every gate runs. A
    gate that raises fails the run with exit 2 (the data was not judged).

    Example::

        @hookimpl
        def ftlint_gate(result):
            records = sum(f.records for f in result.files if f.role == "train")
            if records < 1000:
                return f"only {records} training records; our policy needs 1,000"
            return None
    """


@hookspec
def ftlint_get_submit_backends() -> Mapping[str, BackendFactory]:
    """Return the fine-tuning services this plugin can submit to: ``{name: factory}``.

    :return: a mapping of backend name (what ``--backend NAME`` selects) to a factory, a
        callable without arguments that returns an object following the
        ``ftlint.api.SubmitBackend`` protocol (upload a file and wait until it is processed,
        find an uploaded file by content hash, create/get/list/cancel jobs, list events, fetch
        result files, one inference request). The factory raises ``ftlint.api.BackendError``
        when the backend cannot be used (missing credentials or SDK: say how to fix it).

    **When**: once, after all plugins are loaded (so factories must not send requests or import
    heavy SDKs when the hook is called); ``ftlint submit``, ``ftlint jobs`` and ``ftlint try``
    call the chosen factory only after the data passed the gate. A name defined by two plugins
    is an error naming both.

    Example::

        from ftlint import api, hookimpl

        class AcmeBackend:
            name = "acme"
            def upload(self, path, sha256): ...
            ...

        @hookimpl
        def ftlint_get_submit_backends():
            return {"acme": AcmeBackend}
    """


@hookspec
def ftlint_get_engines() -> Mapping[str, Engine]:
    """Return engines that run checks elsewhere (other processes, a cluster): ``{name: engine}``.

    :return: a mapping of engine name (what ``ftlint check --engine NAME`` selects; ``local``,
        the default, is ftlint's own) to an object following the ``ftlint.api.Engine`` protocol:
        ``add_options(parser)`` adds the engine's options to ``ftlint check``;
        ``run(plan, args) -> ftlint.RunResult`` checks ``args.paths`` and ``args.validation``
        (a list) through ``plan(paths, validation)``, an ``ftlint.api.Plan``: its ``survey``,
        ``partitions``, ``scan`` and ``merge`` steps take and return values that pickle, so they
        can run anywhere ftlint and the plugins' rules are installed; ``finish`` makes the result.
        Any tree of ``merge`` calls over a dataset's consecutive partials gives the result of the
        local ``--one-dataset`` run. An engine may instead ``split(partial, buckets)`` each
        scanned partial when ``plan.keyed()`` (rules with keyed state, ``DatasetRule.keyed``),
        merge the rests, ``reduce`` each key bucket's parts of all partials (in file order) and
        pass every bucket's result to ``finish(merged, reduced)``: the same result, without
        those states on one machine. Raise ``ftlint.api.EngineError`` with a message for what
        cannot be run (exit 2). ``--fix`` reaches ``run`` (``args.fix``); refuse it unless the
        engine can write fixes; ``--diff`` is refused before.

    **When**: once, after all plugins are loaded (engines must not import heavy libraries or
    connect anywhere until ``run``); ``add_options`` while the command line is built, ``run``
    for a ``check`` with ``--engine NAME``. The report, gates and exit code follow as for the
    local engine. A name defined by two plugins, or ``local``, is an error naming them.

    Example::

        import sys
        from ftlint import hookimpl

        class Serial:
            def add_options(self, parser):
                parser.add_argument("--serial-note", help="printed before the run")

            def run(self, plan, args):
                if args.serial_note:
                    print(args.serial_note, file=sys.stderr)
                plan = plan(args.paths, args.validation or [])
                surveys = [plan.survey(k, path) for k, path in enumerate(plan.files)]
                merged = []
                for parts in plan.partitions(surveys):
                    partial = None
                    for part in parts:
                        scanned = plan.scan(part, plan.files[part.file])
                        partial = scanned if partial is None else plan.merge(partial, scanned)
                    merged.append(partial)
                return plan.finish(merged)

        @hookimpl
        def ftlint_get_engines():
            return {"serial": Serial()}
    """
